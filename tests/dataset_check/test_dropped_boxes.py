"""A train split whose every box training drops has nothing to learn from: an error, even
though the reader yields boxes (the check judges what training keeps)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from detseg.dataset_check import check_dataset


def _yolo(root: Path, labels: dict[str, str]) -> dict:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "classes.txt").write_text("a\nb\n")
    for stem, text in labels.items():
        Image.new("RGB", (60, 40)).save(root / "images" / "train" / f"{stem}.png")
        (root / "labels" / "train" / f"{stem}.txt").write_text(text)
    return {"format": "yolo", "root": str(root)}


def test_train_whose_boxes_are_all_degenerate_is_an_error(tmp_path: Path):
    data = _yolo(tmp_path, {"0": "0 0.5 0.5 0.0 0.2\n1 0.5 0.5 0.3 0.0\n", "1": ""})
    check = check_dataset(data, ("train",), decode=False)
    summary = check.splits["train"]
    assert (summary["objects"], summary["kept_objects"], summary["degenerate_boxes"]) == (2, 0, 2)
    [finding] = [f for f in check.findings if f.code == "no_objects"]
    assert finding.severity == "error" and check.exit_code == 1
    assert "2 boxes in all, every one dropped" in finding.message


def test_one_kept_box_is_enough(tmp_path: Path):
    data = _yolo(tmp_path, {"0": "0 0.5 0.5 0.0 0.2\n1 0.5 0.5 0.3 0.3\n"})
    check = check_dataset(data, ("train",), decode=False)
    assert check.splits["train"]["kept_objects"] == 1
    assert not [f for f in check.findings if f.code == "no_objects"]
    assert check.exit_code == 0

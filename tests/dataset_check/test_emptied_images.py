"""Images left without objects only by rejected or dropped annotations are named apart.

Such an image is trained as a negative, so whatever its annotations drew is learnt as
background: unlike an image that has no objects, it needs its annotations fixed. The check
warns about it (``emptied_images``) beside the plain count of images without objects.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from detseg.dataset_check import check_dataset


def _yolo(root: Path, split: str, labels: dict[str, str | None]) -> dict:
    (root / "images" / split).mkdir(parents=True)
    (root / "labels" / split).mkdir(parents=True)
    (root / "classes.txt").write_text("a\nb\n")
    for stem, text in labels.items():
        Image.new("RGB", (64, 64)).save(root / "images" / split / f"{stem}.png")
        if text is not None:
            (root / "labels" / split / f"{stem}.txt").write_text(text)
    return {"format": "yolo", "root": str(root), "train_images": f"images/{split}"}


LABELS = {
    "fine": "0 0.5 0.5 0.2 0.2\n",
    "no_label_file": None,  # a negative on purpose
    "pixels": "1 32 32 10 10\n",  # rejected by the reader: coordinates in pixels
    "four_numbers": "0 0.5 0.5 0.2\n",  # rejected: a malformed line
    "zero_width": "1 0.5 0.5 0.0 0.2\n",  # dropped by the box checks
    "one_of_two": "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2\n",  # keeps one object: not emptied
}


def test_images_emptied_by_their_annotations_are_a_warning(tmp_path: Path):
    check = check_dataset(_yolo(tmp_path, "train", LABELS), ("train",), decode=False)
    s = check.splits["train"]
    assert s["empty_images"] == 4
    assert s["emptied_images"] == 3
    assert sorted(s["emptied_files"]) == [
        "images/train/four_numbers.png",
        "images/train/pixels.png",
        "images/train/zero_width.png",
    ]
    [finding] = [f for f in check.findings if f.code == "emptied_images"]
    assert finding.severity == "warning" and finding.count == 3
    assert finding.message.startswith(
        "3 images without objects only because the reader rejected or the box checks dropped "
        "every annotation of them: trained as negatives, so their objects are learnt as "
        "background; fix their annotations"
    )


def test_a_dataset_whose_empty_images_have_no_annotations_gets_no_such_warning(tmp_path: Path):
    labels = {"fine": LABELS["fine"], "no_label_file": None, "empty_file": ""}
    check = check_dataset(_yolo(tmp_path, "train", labels), ("train",), decode=False)
    assert check.splits["train"]["empty_images"] == 2
    assert check.splits["train"]["emptied_images"] == 0
    assert not [f for f in check.findings if f.code == "emptied_images"]

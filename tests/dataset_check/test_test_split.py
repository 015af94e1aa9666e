"""The held-out ``test`` split: found where the val split lies, with ``val`` changed to ``test``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg.data.shapes import generate_shapes
from detseg.dataset_check import check_dataset
from detseg.dataset_check.source import held_out_section


@pytest.mark.parametrize(
    ("section", "changed"),
    [
        (  # the format's defaults: the layout of make_shapes.py
            {"format": "coco", "root": "r"},
            {"val_images": "test/images", "val_ann": "annotations/instances_test.json"},
        ),
        ({"format": "yolo", "root": "r"}, {"val_images": "images/test"}),
        (
            {"format": "yolo", "root": "r", "val_images": "valid/images"},
            {"val_images": "test/images"},
        ),
        ({"format": "voc", "root": "r", "val_split": "val"}, {"val_split": "test"}),
        ({"format": "shapes_seg", "root": "r"}, {"val_split": "test"}),
        (
            {"format": "folder_seg", "root": "r"},
            {"val_images": "images/test", "val_masks": "masks/test"},
        ),
    ],
)
def test_val_keys_point_at_test(section, changed):
    assert held_out_section(section) == {**section, **changed}


#: The check each refusal advises, as check_dataset's keywords and as the tool's flags.
_VAL_SPLIT = {
    "voc": ("check it with splits=['val']", "check it with --splits val"),
    "coco": (
        "as val (splits=['val'] overrides=['data.val_ann=...'])",
        "as val (--splits val --set data.val_ann=...)",
    ),
}


def test_a_val_split_that_is_the_test_split_already(check_flags):
    with pytest.raises(ValueError, match=r"data.val_split 'test'\): check it with ") as caught:
        held_out_section({"format": "voc", "root": "r"})  # VOC's default val_split is test
    python, tool = _VAL_SPLIT["voc"]
    assert str(caught.value).endswith(python)
    assert caught.value.naming(check_flags).endswith(tool)


def test_a_val_path_without_val_names_the_key(check_flags):
    with pytest.raises(
        ValueError, match=r"no test split: data.val_ann 'ann/dev.json' has no 'val'"
    ) as caught:
        held_out_section({"format": "coco", "root": "r", "val_ann": "ann/dev.json"})
    python, tool = _VAL_SPLIT["coco"]
    assert str(caught.value).endswith(python)
    assert caught.value.naming(check_flags).endswith(tool)


@pytest.fixture(scope="module")
def check_flags() -> dict[str, str]:
    return load_tool("check_data.py").CHECK_FLAGS


@pytest.mark.parametrize(
    ("fmt", "keys"), [("voc", ""), ("coco", "val_ann: ann/dev.json\n")], ids=["voc", "coco"]
)
def test_check_data_names_its_flags(tmp_path, run_tool, fmt, keys):
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"format: {fmt}\nroot: {tmp_path / 'none'}\n{keys}")
    result = run_tool("check_data.py", data_file, "--splits", "test", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("check_data: error: ") and line.endswith(_VAL_SPLIT[fmt][1]), line


def test_check_dataset_checks_the_test_split(tmp_path: Path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=2, num_test=4, size=64, seed=0)
    check = check_dataset({"format": "coco", "root": str(root)}, ["train", "val", "test"])
    assert {name: s["images"] for name, s in check.splits.items()} == {
        "train": 3,
        "val": 2,
        "test": 4,
    }
    assert set(check.overlaps) == {"train/val", "train/test", "val/test"}

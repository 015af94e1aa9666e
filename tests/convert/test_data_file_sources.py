"""A data file given as the source of a conversion: an Ultralytics data yaml (as Ultralytics
takes ``data=coco8.yaml``) or a detseg ``data.yaml`` stands for its dataset; another yaml
gets one line saying what to give."""

from __future__ import annotations

import pytest

from detseg.convert.datasets import convert_dataset, find_splits


@pytest.fixture(scope="module")
def shapes_yolo(shapes_coco, tmp_path_factory):
    dst = tmp_path_factory.mktemp("data_file_src") / "yolo"
    convert_dataset(shapes_coco, dst, "coco", "yolo", progress=False)
    return dst


def test_an_ultralytics_yaml_outside_the_dataset_is_read(shapes_yolo, tmp_path):
    names = (shapes_yolo / "classes.txt").read_text().split()
    yaml_file = tmp_path / "cfg" / "coco8.yaml"
    yaml_file.parent.mkdir()
    lines = [f"path: {shapes_yolo}", "train: images/train", "val: images/val", "names:"]
    yaml_file.write_text("\n".join(lines + [f"  {k}: {n}" for k, n in enumerate(names)]) + "\n")
    assert find_splits(yaml_file, "yolo") == ["train", "val"]
    summary = convert_dataset(yaml_file, tmp_path / "coco", "yolo", "coco", progress=False)
    assert summary.classes == names
    assert [(s.name, s.images, s.skipped_objects) for s in summary.splits] == [
        ("train", 12, 0),
        ("val", 3, 0),
    ]


def test_a_detseg_data_file_stands_for_its_root(shapes_yolo, tmp_path):
    summary = convert_dataset(
        shapes_yolo / "data.yaml", tmp_path / "voc", "yolo", "voc", progress=False
    )
    assert [s.images for s in summary.splits] == [12, 3]


def test_a_data_file_of_another_format_names_the_format(shapes_yolo, tmp_path):
    with pytest.raises(
        ValueError, match=r"data file of a yolo dataset, not coco: pass --from yolo"
    ):
        convert_dataset(shapes_yolo / "data.yaml", tmp_path / "out", "coco", "voc")
    assert not (tmp_path / "out").exists()


def test_a_yaml_that_is_no_data_file_asks_for_the_folder(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text("x: 1\n")
    with pytest.raises(ValueError, match=r"not a data file.*give the yolo dataset folder instead"):
        convert_dataset(other, tmp_path / "out", "yolo", "coco")


def test_a_faulty_ultralytics_yaml_is_told_its_fault_only(shapes_yolo, tmp_path):
    """The fix is in the yaml: no second instruction to give the folder instead."""
    yaml_file = tmp_path / "coco8.yaml"
    lines = [f"path: {shapes_yolo}", "train: images/train", "val: images/val", "nc: 4"]
    yaml_file.write_text("\n".join([*lines, "names: [a, b, c]"]) + "\n")
    with pytest.raises(ValueError) as info:
        convert_dataset(yaml_file, tmp_path / "out", "yolo", "coco")
    assert str(info.value) == (
        f"{yaml_file} (an Ultralytics data yaml): 'nc' is 4 but 'names' has 3 names; make "
        "them agree"
    )


def test_an_output_inside_the_dataset_of_a_data_file_is_refused(shapes_yolo, tmp_path):
    yaml_file = tmp_path / "coco8.yaml"
    yaml_file.write_text(f"path: {shapes_yolo}\ntrain: images/train\nval: images/val\nnames: [a]\n")
    with pytest.raises(ValueError, match=r"is inside the source folder"):
        convert_dataset(yaml_file, shapes_yolo / "out", "yolo", "coco")
    assert not (shapes_yolo / "out").exists()


def test_a_voc_data_file_gives_its_class_order(shapes_coco, tmp_path):
    voc = tmp_path / "voc"
    convert_dataset(shapes_coco, voc, "coco", "voc", progress=False)
    (voc / "classes.txt").unlink()  # a VOC folder of elsewhere: no classes.txt
    names = ["star", "circle", "square", "triangle", "hexagon"]  # not sorted
    lines = [f"data:\n  format: voc\n  root: {voc}\n  classes:"] + [f"  - {n}" for n in names]
    (tmp_path / "voc.yaml").write_text("\n".join(lines) + "\n")
    summary = convert_dataset(
        tmp_path / "voc.yaml", tmp_path / "coco", "voc", "coco", progress=False
    )
    assert summary.classes == names

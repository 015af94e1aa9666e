"""COCO exports of labelling tools in another layout than detseg's default, converted through a
data file that names their files (the keys training reads).

A CVAT export (``annotations/instances_default.json``, its images in ``images/``): the folder
alone gives a split ``default`` whose images are not in the default place, an error that says
to name them in a data file; a data file naming them converts the json once, as its role's
split (not again as ``default``, looked for in ``default/images``). A Roboflow export
(``train/_annotations.coco.json`` beside its images): the folder alone has no split, an error
that says the same."""

from __future__ import annotations

import shutil

import pytest
import yaml

from detseg.convert.datasets import convert_dataset


@pytest.fixture
def cvat_export(shapes_coco, tmp_path):
    root = tmp_path / "cvat"
    shutil.copytree(shapes_coco / "train" / "images", root / "images")
    (root / "annotations").mkdir()
    ann = shapes_coco / "annotations" / "instances_train.json"
    shutil.copy(ann, root / "annotations" / "instances_default.json")
    return root


def test_the_folder_alone_says_to_name_the_images(cvat_export, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        convert_dataset(cvat_export, tmp_path / "yolo", "coco", "yolo", progress=False)
    message = str(info.value)
    assert message.startswith("COCO images of split 'default' not found: neither ")
    assert message.endswith(
        f"(data: {{format: coco, root: {cvat_export}, train_images: ..., train_ann: ...}} and "
        "the val_ ones): train_images (or val_images) their folder, train_ann "
        "annotations/instances_default.json"
    )


def test_a_data_file_naming_the_images_converts_them(cvat_export, tmp_path):
    section = {"format": "coco", "root": str(cvat_export), "train_images": "images"}
    section["train_ann"] = "annotations/instances_default.json"
    data_file = tmp_path / "cvat.yaml"
    data_file.write_text(yaml.safe_dump({"data": section}))
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]


def test_a_roboflow_export_is_told_to_use_a_data_file(shapes_coco, tmp_path):
    root = tmp_path / "roboflow"
    for split, name in (("train", "train"), ("val", "valid")):
        shutil.copytree(shapes_coco / split / "images", root / name)
        ann = shapes_coco / "annotations" / f"instances_{split}.json"
        shutil.copy(ann, root / name / "_annotations.coco.json")
    with pytest.raises(FileNotFoundError, match=r"give as the source a data file naming"):
        convert_dataset(root, tmp_path / "yolo", "coco", "yolo", progress=False)
    section = {"format": "coco", "root": str(root), "train_images": "train", "val_images": "valid"}
    section |= {"train_ann": "train/_annotations.coco.json"}
    section |= {"val_ann": "valid/_annotations.coco.json"}
    data_file = tmp_path / "roboflow.yaml"
    data_file.write_text(yaml.safe_dump({"data": section}))
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12), ("val", 3)]

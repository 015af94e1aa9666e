"""A conversion source folder without any split of its format's default layout gets the step that
fits what it holds: COCO jsons elsewhere (a Roboflow export, one json given as the source) get
the data file that names them, ready to paste; VOC xml files without split lists, or beside
their images (a labelImg folder), get what to move and which lists to write; YOLO images in
``images/`` itself get the data file that names it. Each suggested data file converts: its
values read back as the folder names (``null``, ``01`` quoted), jsons that are no COCO json are
left out, several jsons in one folder are splits by their names, and a ``test``-only export is
named once, as the val split."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from detseg.convert.datasets import convert_dataset


def _convert_error(src, tmp_path, src_format, dst_format="yolo"):
    with pytest.raises((FileNotFoundError, NotADirectoryError)) as info:
        convert_dataset(src, tmp_path / "out", src_format, dst_format, progress=False)
    return str(info.value)


def _suggested_data_file(message, tmp_path):
    """The ``data: {...}`` mapping a message suggests, written to a yaml file."""
    text = message[message.index("data: {") :]
    text = text[: text.index("}") + 1]
    path = tmp_path / "suggested.yaml"
    path.write_text(text + "\n")
    return path


@pytest.fixture
def roboflow(shapes_coco, tmp_path):
    """A Roboflow COCO export: ``<split>/_annotations.coco.json`` beside its images."""
    root = tmp_path / "roboflow"
    for split, name in (("train", "train"), ("val", "valid")):
        shutil.copytree(shapes_coco / split / "images", root / name)
        ann = shapes_coco / "annotations" / f"instances_{split}.json"
        shutil.copy(ann, root / name / "_annotations.coco.json")
    return root


def test_a_roboflow_folder_gets_the_data_file_naming_its_jsons(roboflow, tmp_path):
    message = _convert_error(roboflow, tmp_path, "coco")
    assert message == (
        f"no coco splits found in {roboflow} (expected annotations/instances_<split>.json in "
        f"the dataset folder); {roboflow} holds train/_annotations.coco.json, "
        "valid/_annotations.coco.json: give as the source a data file naming them (a yaml "
        f"file holding data: {{format: coco, root: {roboflow.resolve()}, train_images: train, "
        "train_ann: train/_annotations.coco.json, val_images: valid, "
        "val_ann: valid/_annotations.coco.json}; fix the images folders if they are elsewhere)"
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12), ("val", 3)]


def test_a_coco_json_as_the_source_gets_the_data_file_naming_it(roboflow, tmp_path):
    ann = roboflow / "train" / "_annotations.coco.json"
    message = _convert_error(ann, tmp_path, "coco")
    assert message.startswith(f"{ann} is a COCO json, not a dataset folder: give as the ")
    assert f"root: {ann.parent.resolve()}, train_images: ., train_ann: _annotations" in message
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]


def test_a_folder_whose_path_yaml_would_cut_gets_it_quoted(shapes_coco, tmp_path):
    """A comma or a colon in the folder's path is quoted: the pasted line still reads."""
    root = tmp_path / "exports, v2: final"
    shutil.copytree(shapes_coco / "train" / "images", root / "train")
    shutil.copy(shapes_coco / "annotations" / "instances_train.json", root / "train" / "a.json")
    message = _convert_error(root, tmp_path, "coco")
    assert f'root: "{root.resolve()}", train_images: train, train_ann: train/a.json' in message
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]


@pytest.fixture
def voc_without_lists(shapes_coco, tmp_path):
    """A VOC folder with Annotations/ and JPEGImages/ but no ImageSets/."""
    root = tmp_path / "voc"
    convert_dataset(shapes_coco, root, "coco", "voc", progress=False)
    shutil.rmtree(root / "ImageSets")
    return root


def test_voc_xml_files_without_split_lists_are_told_to_write_them(voc_without_lists, tmp_path):
    message = _convert_error(voc_without_lists, tmp_path, "voc")
    assert message.endswith(
        "(expected ImageSets/Main/<split>.txt in the dataset folder); Annotations/ holds 15 xml "
        "files but no split lists: write their ids (the file names without .xml), one per "
        "line, to ImageSets/Main/train.txt and, for validation, some to ImageSets/Main/val.txt"
    )


def test_a_labelimg_folder_is_told_the_voc_layout(voc_without_lists, tmp_path):
    flat = tmp_path / "labelimg"
    shutil.copytree(voc_without_lists / "JPEGImages", flat)
    for xml_file in (voc_without_lists / "Annotations").glob("*.xml"):
        shutil.copy(xml_file, flat)
    message = _convert_error(flat, tmp_path, "voc")
    assert (
        f"; {flat} holds 15 xml files beside its images (a labelImg folder), not the VOC "
        "layout: move the xml files into Annotations/ and the images into JPEGImages/, then "
        "write their ids" in message
    )


def test_yolo_images_without_split_folders_get_the_data_file(shapes_coco, tmp_path):
    yolo = tmp_path / "yolo"
    convert_dataset(shapes_coco, yolo, "coco", "yolo", splits=["train"], progress=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.move(yolo / "images" / "train", flat / "images")
    shutil.move(yolo / "labels" / "train", flat / "labels")
    shutil.copy(yolo / "classes.txt", flat)
    message = _convert_error(flat, tmp_path, "yolo", "coco")
    assert message.endswith(
        "images/ holds 12 images itself, not in split folders (images/train/, images/val/): "
        "give as the source a data file naming it (a yaml file holding data: {format: yolo, "
        f"root: {flat.resolve()}, train_images: images, train_labels: labels}}), or move them "
        "into split folders"
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "coco", "yolo", "coco", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]
    assert yaml.safe_load(data_file.read_text())["data"]["train_labels"] == "labels"


def test_jsons_in_annotations_get_their_images_folders(shapes_coco, tmp_path):
    """``annotations/train.json`` (not ``instances_train.json``) with ``images/train/``."""
    root = tmp_path / "plain"
    for split in ("train", "val"):
        shutil.copytree(shapes_coco / split / "images", root / "images" / split)
        ann = shapes_coco / "annotations" / f"instances_{split}.json"
        (root / "annotations").mkdir(exist_ok=True)
        shutil.copy(ann, root / "annotations" / f"{split}.json")
    message = _convert_error(root, tmp_path, "coco")
    assert (
        "train_images: images/train, train_ann: annotations/train.json, "
        "val_images: images/val, val_ann: annotations/val.json}" in message
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12), ("val", 3)]


@pytest.mark.parametrize("name", ["null", "01", "- x"])
def test_a_folder_name_yaml_reads_as_another_value_gets_it_quoted(name, shapes_coco, tmp_path):
    """``null`` (a null), ``01`` (a number), ``- x`` (a list item) are quoted: the pasted
    line reads the folder's name."""
    root = tmp_path / "export"
    shutil.copytree(shapes_coco / "train" / "images", root / name)
    shutil.copy(
        shapes_coco / "annotations" / "instances_train.json", root / name / "_annotations.coco.json"
    )
    message = _convert_error(root, tmp_path, "coco")
    assert f"train_images: {json.dumps(name)}, train_ann: " in message
    data_file = _suggested_data_file(message, tmp_path)
    assert yaml.safe_load(data_file.read_text())["data"]["train_images"] == name
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]


def test_jsons_in_one_folder_are_named_by_their_names(shapes_coco, tmp_path):
    """``labels/train.json`` and ``labels/val.json``, the images in ``images/<split>/``: two
    splits named by the jsons, not one named ``labels``, with their images folders."""
    root = tmp_path / "labelled"
    (root / "labels").mkdir(parents=True)
    for split in ("train", "val"):
        shutil.copytree(shapes_coco / split / "images", root / "images" / split)
        ann = shapes_coco / "annotations" / f"instances_{split}.json"
        shutil.copy(ann, root / "labels" / f"{split}.json")
    message = _convert_error(root, tmp_path, "coco")
    assert (
        f"root: {root.resolve()}, train_images: images/train, train_ann: labels/train.json, "
        "val_images: images/val, val_ann: labels/val.json}" in message
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12), ("val", 3)]


def test_a_roboflow_folder_names_only_its_coco_jsons(roboflow, tmp_path):
    """A json that is no COCO json (Roboflow's ``README.dataset.json``, a broken file) is left
    out, and of a split folder's COCO jsons ``_annotations.coco.json`` is the one named."""
    (roboflow / "valid" / "README.dataset.json").write_text('{"name": "shapes", "splits": 2}')
    (roboflow / "train" / "broken.json").write_text('{"images": [')
    shutil.copy(roboflow / "train" / "_annotations.coco.json", roboflow / "train" / "a_copy.json")
    message = _convert_error(roboflow, tmp_path, "coco")
    assert message.endswith(
        f"{roboflow} holds train/_annotations.coco.json, valid/_annotations.coco.json: give as "
        f"the source a data file naming them (a yaml file holding data: {{format: coco, root: "
        f"{roboflow.resolve()}, train_images: train, train_ann: train/_annotations.coco.json, "
        "val_images: valid, val_ann: valid/_annotations.coco.json}; fix the images folders if "
        "they are elsewhere)"
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12), ("val", 3)]


def test_a_json_in_annotations_as_the_source_gets_its_dataset_folder_as_root(shapes_coco, tmp_path):
    """``annotations/train.json`` given as the source: the root is the dataset folder (which
    holds ``train/images``), not ``annotations/`` with ``train_images: .``."""
    root = tmp_path / "J"
    shutil.copytree(shapes_coco / "train" / "images", root / "train" / "images")
    (root / "annotations").mkdir()
    ann = root / "annotations" / "train.json"
    shutil.copy(shapes_coco / "annotations" / "instances_train.json", ann)
    message = _convert_error(ann, tmp_path, "coco")
    assert (
        f"data: {{format: coco, root: {root.resolve()}, train_images: train/images, "
        "train_ann: annotations/train.json}" in message
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("train", 12)]


def test_a_test_only_export_is_named_as_the_val_split_only(shapes_coco, tmp_path):
    """A Roboflow export of ``test`` only: the data file names it once, as the val split (not
    as train and val, two copies of the same images), and the hint says there is no train
    split, as the output's ``data.yaml`` warns."""
    root = tmp_path / "test_only"
    shutil.copytree(shapes_coco / "val" / "images", root / "test")
    shutil.copy(
        shapes_coco / "annotations" / "instances_val.json", root / "test" / "_annotations.coco.json"
    )
    message = _convert_error(root, tmp_path, "coco")
    assert message.endswith(
        f"{root} holds test/_annotations.coco.json: give as the source a data file naming it "
        f"(a yaml file holding data: {{format: coco, root: {root.resolve()}, val_images: test, "
        "val_ann: test/_annotations.coco.json}; fix the images folders if they are elsewhere); "
        "no train split among the jsons' splits (test): the data file converts test as the val "
        "split only; add train_images and train_ann of a training split to train on it"
    )
    data_file = _suggested_data_file(message, tmp_path)
    summary = convert_dataset(data_file, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images) for s in summary.splits] == [("val", 3)]

"""``check_data`` given a dataset folder: its ``data.yaml``, else the default keys of the
layout it has; a folder in no layout gets one line naming the layouts."""

from __future__ import annotations

import pytest

from detseg.config import ConfigError
from detseg.dataset_check import load_data_section


def test_a_folder_with_a_data_yaml_is_read_through_it(tmp_path):
    (tmp_path / "data.yaml").write_text("data:\n  format: yolo\n  root: /data/elsewhere\n")
    section, kind = load_data_section(tmp_path, ["data.classes=names.txt"])
    assert (section["format"], section["root"], section["classes"]) == (
        "yolo",
        "/data/elsewhere",
        "names.txt",
    )
    assert kind == f"data file {tmp_path / 'data.yaml'}"


@pytest.mark.parametrize(
    ("paths", "fmt"),
    [
        (["annotations/instances_train.json"], "coco"),
        (["Annotations/", "ImageSets/Main/"], "voc"),
        (["images/", "labels/"], "yolo"),
    ],
)
def test_a_folder_in_a_default_layout_gets_its_format(tmp_path, paths, fmt):
    for name in paths:
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True)
            path.write_text("{}")
    section, kind = load_data_section(tmp_path)
    assert (section["format"], section["root"], kind) == (fmt, str(tmp_path), f"{fmt} folder")


def test_a_voc_folder_keeps_its_class_file(tmp_path):
    for name in ("Annotations", "ImageSets/Main"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "classes.txt").write_text("cat\ndog\n")
    assert load_data_section(tmp_path)[0]["classes"] == "classes.txt"


def test_a_folder_in_no_layout_names_the_layouts(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_data_section(tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path} is a folder without a data.yaml and in no default")
    assert "yolo images/ + labels/" in message


def test_a_voc_folder_takes_its_class_file_by_the_readers_rule(tmp_path, monkeypatch):
    """The class file of a VOC folder is the one ``root_class_file`` names (the rule the
    voc_seg reader follows), not a second test of the folder."""
    from detseg.dataset_check import source

    for name in ("Annotations", "ImageSets/Main"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "names.txt").write_text("cat\ndog\n")
    monkeypatch.setattr(source, "root_class_file", lambda root: root / "names.txt", raising=False)
    assert load_data_section(tmp_path)[0].get("classes") == "names.txt"

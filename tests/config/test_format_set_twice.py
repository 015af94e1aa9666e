"""``data.format`` given twice in the overrides: the last one wins, as for any key; a switch
to a format and back does not empty the data section on the way."""

from __future__ import annotations

from pathlib import Path

from detseg.config import load_config
from detseg.dataset_check.source import load_data_section

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_a_format_set_and_set_back_keeps_the_section():
    demo = load_config(DEMO).data
    back = load_config(DEMO, ["data.format=voc", "data.format=coco"]).data
    assert (back.format, back.root, back.options) == (demo.format, demo.root, demo.options)


def test_the_last_format_is_the_one_switched_to():
    data = load_config(DEMO, ["data.format=coco", "data.format=voc"]).data
    assert (data.format, data.root) == ("voc", "")


def test_the_data_check_takes_the_last_format_too(tmp_path):
    data_file = tmp_path / "data.yaml"
    data_file.write_text(
        "format: coco\nroot: /data/shapes\ntrain_images: train\nval_images: val\n"
        "train_ann: train.json\nval_ann: val.json\n"
    )
    section, _ = load_data_section(data_file, ["data.format=voc", "data.format=coco"])
    assert section["format"] == "coco" and section["train_ann"] == "train.json"

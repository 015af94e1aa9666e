"""A section written empty or null in a file over a ``_base_`` changes nothing: the base's
values stay (a null *value* inside a section still replaces the base's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.config.bases import drop_empty_sections

BASE = """\
model:
  name: faster_rcnn
  backbone_weights: imagenet
data:
  format: voc
  root: /data/voc
  val_split: val
train:
  epochs: 3
  lr: 0.5
  max_iters: 100
eval:
  score_threshold: 0.7
  crf:
    iterations: 2
"""


def _load(tmp_path: Path, child: str):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text("_base_: base.yaml\n" + child)
    return load_config(tmp_path / "child.yaml")


@pytest.mark.parametrize(
    "child",
    [
        "eval:\ntrain:\ndata:\nmodel:\n",  # nothing under them: YAML reads null
        "eval: null\ntrain: ~\ndata: null\nmodel: null\n",
        "eval: {}\ntrain: {}\ndata: {}\nmodel: {}\n",
    ],
    ids=["blank", "null", "empty-mapping"],
)
def test_an_empty_or_null_section_keeps_the_base_section(tmp_path, child):
    cfg = _load(tmp_path, child)
    assert (cfg.train.epochs, cfg.train.lr, cfg.train.max_iters) == (3, 0.5, 100)
    assert (cfg.eval.score_threshold, cfg.eval.crf.iterations) == (0.7, 2)
    assert (cfg.data.format, cfg.data.root) == ("voc", "/data/voc")
    assert cfg.data.options == {"val_split": "val"}
    assert cfg.model.name == "faster_rcnn"
    assert cfg.model.kwargs["backbone_weights"] == "imagenet"


def test_an_empty_nested_section_keeps_the_base_section(tmp_path):
    cfg = _load(tmp_path, "eval:\n  score_threshold: 0.4\n  crf:\n")
    assert (cfg.eval.score_threshold, cfg.eval.crf.iterations) == (0.4, 2)


def test_a_null_value_in_a_section_still_replaces_the_base_value(tmp_path):
    cfg = _load(tmp_path, "train:\n  max_iters: null\nmodel:\n  backbone_weights: null\n")
    assert cfg.train.max_iters is None
    assert cfg.model.kwargs["backbone_weights"] is None
    assert cfg.train.epochs == 3


def test_an_empty_section_without_a_base_gives_the_defaults(tmp_path):
    (tmp_path / "a.yaml").write_text("model:\n  name: faster_rcnn\ntrain:\neval: null\n")
    cfg = load_config(tmp_path / "a.yaml")
    assert cfg.train.epochs == 12 and cfg.eval.score_threshold == 0.3


def test_drop_empty_sections_drops_only_sections_and_copies():
    raw = {"train": None, "eval": {"crf": None, "max_images": None}, "work_dir": None}
    assert drop_empty_sections(raw) == {"eval": {"max_images": None}, "work_dir": None}
    assert raw["eval"] == {"crf": None, "max_images": None}  # the input is not modified

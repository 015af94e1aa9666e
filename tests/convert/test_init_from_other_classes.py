"""``model.init_from`` a detseg checkpoint trained on other classes: class layers that fit by
shape are loaded, and the report warns when they score other classes than the run's labels."""

from __future__ import annotations

import torch
from torch import nn

from detseg.convert.init_weights import load_init_weights

SHAPES = ["circle", "square", "triangle", "star", "hexagon"]


def _model(num_classes: int) -> nn.Sequential:
    """A stand-in detector: a shared feature layer and a class layer ``[K + 1, 4, 1, 1]``."""
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.Conv2d(4, num_classes + 1, 1))


def _checkpoint(tmp_path, classes: list[str]) -> str:
    """A detseg-style checkpoint ``{"model", "config", "classes"}`` trained on ``classes``."""
    torch.manual_seed(0)
    path = tmp_path / "best.pt"
    torch.save({"model": _model(len(classes)).state_dict(), "config": {}, "classes": classes}, path)
    return str(path)


def test_same_count_in_another_order_warns(tmp_path):
    source = _checkpoint(tmp_path, SHAPES)
    model = _model(5)
    report = load_init_weights(model, source, classes=list(reversed(SHAPES)))
    assert len(report.loaded) == 4 and not report.reinitialised
    warning = report.class_warning()
    assert warning is not None
    assert "another order" in warning and source in warning and "data.classes" in warning


def test_same_count_other_names_warns(tmp_path):
    source = _checkpoint(tmp_path, ["a", "b", "c", "d", "e"])
    report = load_init_weights(_model(5), source, classes=SHAPES)
    warning = report.class_warning()
    assert warning is not None and "(others)" in warning


def test_same_classes_or_other_count_do_not_warn(tmp_path):
    source = _checkpoint(tmp_path, SHAPES)
    assert load_init_weights(_model(5), source, classes=SHAPES).class_warning() is None
    report = load_init_weights(_model(3), source, classes=SHAPES[:3])
    assert [key for key, _, _ in report.reinitialised] == ["1.weight", "1.bias"]
    assert report.class_warning() is None
    assert load_init_weights(_model(5), source).class_warning() is None  # run classes unknown

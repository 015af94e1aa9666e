"""``build_model`` refuses a ``num_classes`` that is no integer (``2.5`` failed inside a torch
convolution, ``"2"`` / ``None`` with "'<' not supported") and a ``model_cfg`` that is no dict (a
model name alone: "needs a 'name'", ``None``: "not iterable") in one ``TypeError``."""

from __future__ import annotations

import re

import numpy as np
import pytest

from detseg.models import build_model

SMALL = {"name": "retinanet", "backbone": "resnet18", "min_size": 64, "max_size": 64}


@pytest.mark.parametrize("num_classes", [2.5, "2", None, True])
def test_num_classes_that_is_no_integer_is_refused(num_classes):
    shown = f"{num_classes!r} ({type(num_classes).__name__})"
    with pytest.raises(
        TypeError, match=r"num_classes must be an integer >= 1.*got " + re.escape(shown)
    ):
        build_model(SMALL, num_classes)


@pytest.mark.parametrize("model_cfg", ["retinanet", None, ["retinanet"]])
def test_a_model_config_that_is_no_dict_is_refused(model_cfg):
    with pytest.raises(TypeError, match=r"model_cfg must be a dict such as \{'name': "):
        build_model(model_cfg, 2)


def test_a_numpy_integer_is_a_number_of_classes():
    model = build_model({**SMALL, "backbone_weights": None}, np.int64(2))
    assert model.num_classes == 2

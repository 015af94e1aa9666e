"""The options of a named backbone live in one table, ``NAMED_BACKBONE_OPTIONS``: the builders
that take a backbone module (Faster R-CNN, RetinaNet) default to it and hand all of them, and
only them, to ``refuse_named_backbone_options``."""

from __future__ import annotations

import inspect

import pytest

from detseg.detection.builder_parts import NAMED_BACKBONE_OPTIONS, refuse_named_backbone_options
from detseg.detection.faster_rcnn import faster_rcnn
from detseg.detection.retinanet import retinanet


@pytest.mark.parametrize("builder", [faster_rcnn, retinanet], ids=lambda b: b.__name__)
def test_builders_default_to_the_table(builder):
    parameters = inspect.signature(builder).parameters
    defaults = {name: parameters[name].default for name in NAMED_BACKBONE_OPTIONS}
    assert defaults == NAMED_BACKBONE_OPTIONS


def test_the_defaults_pass():
    """The defaults pass, while any one of them changed is refused by its name."""
    assert refuse_named_backbone_options(**NAMED_BACKBONE_OPTIONS) is None
    for name in NAMED_BACKBONE_OPTIONS:
        with pytest.raises(ValueError, match=f"^{name}="):
            refuse_named_backbone_options(**{**NAMED_BACKBONE_OPTIONS, name: object()})


def test_an_option_left_out_or_unknown_is_a_programming_error():
    partial = {k: v for k, v in NAMED_BACKBONE_OPTIONS.items() if k != "width_mult"}
    with pytest.raises(TypeError, match=r"needs exactly \['backbone_weights', .*'width_mult'\]"):
        refuse_named_backbone_options(**partial)
    with pytest.raises(TypeError, match="needs exactly"):
        refuse_named_backbone_options(**NAMED_BACKBONE_OPTIONS, fpn_channels=128)


def test_a_set_option_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^norm='bn' applies only to a backbone given by name"):
        refuse_named_backbone_options(**{**NAMED_BACKBONE_OPTIONS, "norm": "bn"})

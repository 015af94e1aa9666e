"""An unknown model name: the message suggests the closest name and says where a builder of
one's own goes."""

from __future__ import annotations

import pytest

from detseg.models import MODELS, build_model


def test_an_unknown_name_points_to_models_and_the_guide():
    with pytest.raises(ValueError) as info:
        build_model({"name": "tiny_faster_rcnn"}, num_classes=2)
    message = str(info.value)
    assert "unknown model 'tiny_faster_rcnn'; did you mean 'faster_rcnn'?" in message
    assert "detseg.models.MODELS first, see docs/extending.md" in message


def test_a_builder_added_to_models_is_built_by_name(monkeypatch):
    built = []

    def toy(num_classes: int, width: int = 4):
        built.append((num_classes, width))
        return object()

    monkeypatch.setitem(MODELS, "toy", toy)
    build_model({"name": "toy", "width": 8}, num_classes=3)
    assert built == [(3, 8)]
    with pytest.raises(ValueError, match="model 'toy' has no parameter 'depth'"):
        build_model({"name": "toy", "depth": 2}, num_classes=3)

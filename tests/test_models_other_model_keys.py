"""``build_model`` with a key of another model (``backbone`` for ``fcn_vgg16``, whose backbone
is fixed) names the models that take it instead of a "did you mean" of a key it is no typo of;
a typo still gets the closest parameter."""

from __future__ import annotations

import pytest

from detseg.models import build_model


def test_a_key_of_other_models_names_them():
    with pytest.raises(ValueError) as info:
        build_model({"name": "fcn_vgg16", "backbone": "resnet50"}, 3)
    message = str(info.value)
    assert "model 'fcn_vgg16' has no parameter 'backbone', a key of other models (" in message
    assert "did you mean" not in message


def test_a_typo_still_gets_the_closest_parameter():
    with pytest.raises(ValueError, match="'fc_chanels'; did you mean 'fc_channels'"):
        build_model({"name": "fcn_vgg16", "fc_chanels": 8}, 3)

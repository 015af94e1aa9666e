"""``RoIPooler`` names its setting or feature map in one line: a stride below 1 (which gave
``math domain error``), a fractional stride (which ``int()`` truncated: 2.5 pooled at scale
1/2), and a feature map name the backbone does not give (a bare ``KeyError``)."""

from collections import OrderedDict

import pytest
import torch

from detseg.detection.roi_pooling import RoIPooler


@pytest.mark.parametrize("strides", [[0], [-4], [4, 0], [-4, 8]])
def test_strides_below_one_are_refused(strides) -> None:
    names = [f"p{i + 2}" for i in range(len(strides))]
    with pytest.raises(ValueError, match=r"RoIPooler strides .* must be >= 1") as info:
        RoIPooler(names, strides)
    assert "\n" not in str(info.value)


def test_a_missing_feature_map_is_named_with_the_maps_given() -> None:
    pooler = RoIPooler(["p2", "p3"], [4, 8], output_size=2)
    features = OrderedDict(c2=torch.rand(1, 4, 8, 8), c3=torch.rand(1, 4, 4, 4))
    with pytest.raises(ValueError, match=r"feature map 'p2' but the backbone gives \['c2', 'c3'\]"):
        pooler(features, [torch.tensor([[0.0, 0.0, 16.0, 16.0]])])


def test_the_maps_named_are_pooled() -> None:
    pooler = RoIPooler(["p2"], [4], output_size=2)
    features = OrderedDict(p2=torch.rand(1, 4, 8, 8), extra=torch.rand(1, 4, 2, 2))
    assert pooler(features, [torch.tensor([[0.0, 0.0, 16.0, 16.0]])]).shape == (1, 4, 2, 2)


@pytest.mark.parametrize("strides", [[2.5], [4, 8.5], [4.0, 7.999]])
def test_fractional_strides_are_refused_not_truncated(strides) -> None:
    names = [f"p{i + 2}" for i in range(len(strides))]
    with pytest.raises(ValueError, match=r"RoIPooler strides .* must be >= 1 and a whole number"):
        RoIPooler(names, strides)


def test_whole_float_strides_are_taken_as_ints() -> None:
    assert RoIPooler(["p2", "p3"], [4.0, 8.0]).strides == [4, 8]

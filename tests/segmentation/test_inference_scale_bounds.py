"""``SegmentationInference(scales=...)`` and ``tta_probabilities`` from Python take the factors
the config's ``eval.tta_scales`` takes, ``[0.25, 4]``, and refuse the others with the config's
wording naming ``scales``: a factor of 50 asks for 2,500 times the pixels of each image (the
process is killed for memory without a message)."""

from __future__ import annotations

import re

import pytest
import torch

from detseg.choices.tta_modes import TTA_SCALE_RANGE
from detseg.segmentation.inference import SegmentationInference
from detseg.segmentation.tta import tta_probabilities

WORDING = (
    "scales must be a non-empty list of factors in [0.25, 4] "
    "(image resize factors; multi-scale testing uses 0.5 to 2), got "
)


@pytest.mark.parametrize("scales", [(50.0,), (0.001,), (1.0, 4.5), (0.2, 1.0), (0.0,), ()])
def test_factors_outside_the_config_bounds_are_refused(scales):
    with pytest.raises(ValueError) as err:
        SegmentationInference("hflip", scales)
    assert str(err.value) == WORDING + repr(scales)


def test_tta_probabilities_refuses_them_too():
    model = torch.nn.Conv2d(3, 2, 1)
    with pytest.raises(ValueError, match=re.escape(WORDING)):
        tta_probabilities(model, torch.rand(1, 3, 8, 8), "none", (1.0, 50.0))


def test_the_bounds_themselves_are_taken():
    assert SegmentationInference("none", TTA_SCALE_RANGE).scales == (0.25, 4.0)
    assert SegmentationInference("hflip", (0.5, 1.75, 2.0)).describe() == (
        "hflip TTA x scales [0.5, 1.75, 2.0]"
    )

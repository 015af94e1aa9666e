"""Segmenter layer widths below 1 are refused when the model is built, naming the setting
(a 0-channel layer built, then failed at the first call with a convolution error)."""

import pytest

from detseg.segmentation import fcn_vgg16, lraspp


def test_lraspp_refuses_zero_inter_channels() -> None:
    with pytest.raises(ValueError, match=r"^inter_channels must be >= 1"):
        lraspp(2, width_mult=0.25, inter_channels=0)


def test_fcn_vgg16_refuses_zero_fc_channels() -> None:
    with pytest.raises(ValueError, match=r"^fc_channels must be >= 1"):
        fcn_vgg16(2, fc_channels=0)

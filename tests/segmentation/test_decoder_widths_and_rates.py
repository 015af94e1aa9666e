"""Segmenter settings that built a broken model are refused with one line naming them: a
U-Net decoder width below 1 (a "negative dimension" ``RuntimeError``) and a fractional ASPP
rate (which would have been truncated to an integer dilation)."""

import pytest

from detseg.segmentation import deeplabv3plus, unet_backbone

SMALL = {"backbone": "mobilenet_v3_large", "width_mult": 0.25}


@pytest.mark.parametrize("widths", [[8, 8, 8, -1], [8, 0, 8, 8]])
def test_decoder_widths_below_one_are_refused(widths) -> None:
    with pytest.raises(ValueError, match=r"decoder_channels needs 4 values >= 1"):
        unet_backbone(2, decoder_channels=widths, **SMALL)


def test_fractional_atrous_rates_are_refused() -> None:
    with pytest.raises(ValueError, match=r"atrous_rates must be positive integers, got \(2.5"):
        deeplabv3plus(2, output_stride=16, atrous_rates=[2.5, 3, 4], **SMALL)


def test_whole_float_rates_are_kept() -> None:
    model = deeplabv3plus(2, output_stride=16, atrous_rates=[2.0, 3, 4], **SMALL)
    assert model.head.aspp.atrous_rates == (2, 3, 4)

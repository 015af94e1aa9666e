"""``SegmentationResult.plot(legend=...)`` takes ``True``, ``False`` or ``"all"``; any other value
(``"none"``, ``"off"``, a number) is refused with one line naming them, not taken as true."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api.results import SegmentationResult

RGB = np.full((12, 16, 3), 90, np.uint8)


def _label_map() -> SegmentationResult:
    mask = torch.zeros(12, 16, dtype=torch.int64)
    mask[2:8, 3:9] = 1
    return SegmentationResult(
        mask=mask, probabilities=torch.rand(3, 12, 16), classes=["circle", "square"], image=RGB
    )


@pytest.mark.parametrize("legend", ["none", "off", "present", "", 1, None])
def test_other_legend_values_are_refused(legend):
    with pytest.raises(ValueError, match=r"legend must be True, False or 'all', got ") as caught:
        _label_map().plot(legend=legend)
    assert repr(legend) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_accepted_legend_values():
    result = _label_map()
    assert result.plot(legend=False).shape == RGB.shape
    assert result.plot(legend=np.bool_(False)).shape == RGB.shape
    assert result.plot(legend=True).shape[1] > RGB.shape[1]
    assert result.plot(legend="all").shape[1] > RGB.shape[1]

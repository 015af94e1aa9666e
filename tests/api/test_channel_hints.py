"""The "channels first?" / "channels last?" hint of a refused shape is given only where the
axis could hold channels: 1, 3 or 4 of them and fewer than each other dimension
(``(3, 48, 64)``), not for ``(4, 4, 2)``, whose last axis is plainly the channels one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api.array_images import from_array, from_tensor


@pytest.mark.parametrize(
    ("shape", "hinted"),
    [((3, 48, 64), True), ((4, 4, 2), False), ((4, 8, 2), False), ((3, 3, 5), False)],
)
def test_an_array_gets_the_channels_first_hint_where_plausible(shape, hinted):
    with pytest.raises(ValueError) as caught:
        from_array(np.zeros(shape, np.uint8), False, "")
    assert ("channels first?" in str(caught.value)) is hinted, str(caught.value)


@pytest.mark.parametrize(("shape", "hinted"), [((2, 3, 48, 64), True), ((2, 4, 4, 2), False)])
def test_an_array_batch_gets_the_channels_first_hint_where_plausible(shape, hinted):
    with pytest.raises(ValueError) as caught:
        from_array(np.zeros(shape, np.uint8), False, "")
    assert ("channels-first batch?" in str(caught.value)) is hinted, str(caught.value)


@pytest.mark.parametrize(
    ("shape", "hinted"), [((48, 64, 3), True), ((2, 4, 4), False), ((5, 3, 3), False)]
)
def test_a_tensor_gets_the_channels_last_hint_where_plausible(shape, hinted):
    with pytest.raises(ValueError) as caught:
        from_tensor(torch.zeros(shape), False, "")
    assert ("channels last?" in str(caught.value)) is hinted, str(caught.value)


@pytest.mark.parametrize(("shape", "hinted"), [((2, 48, 64, 3), True), ((2, 2, 4, 4), False)])
def test_a_tensor_batch_gets_the_channels_last_hint_where_plausible(shape, hinted):
    with pytest.raises(ValueError) as caught:
        from_tensor(torch.zeros(shape), False, "")
    assert ("channels-last batch?" in str(caught.value)) is hinted, str(caught.value)

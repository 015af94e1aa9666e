"""Non-finite values in a dataset's sample: an image holding ``-inf`` and a float mask holding
``inf`` or ``nan`` are named as non-finite in one line (not as a normalised image, not as an
``OverflowError`` or fractional labels)."""

from __future__ import annotations

import pytest
import torch

from detseg.data.sample_checks import TargetError, check_sample
from detseg.data.seg_loader import collate_segmentation

TARGET = {"boxes": torch.tensor([[0.0, 0.0, 2.0, 2.0]]), "labels": torch.tensor([1])}


@pytest.mark.parametrize("value", [float("-inf"), float("inf"), float("nan")])
def test_a_non_finite_image_value_is_named_as_such(value):
    image = torch.rand(3, 4, 4)
    image[1, 2, 3] = value
    with pytest.raises(TargetError, match=r"dataset item 5: image holds (-?inf|nan); images are "):
        check_sample((image, TARGET), 5, None, 2)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_float_mask_is_one_line(value):
    mask = torch.ones(2, 3)
    mask[0, 1] = value
    with pytest.raises(ValueError, match=r"^segmentation sample 1 of the batch: mask holds nan "):
        collate_segmentation([None, (torch.rand(3, 2, 3), mask)])


def test_a_float_mask_of_whole_labels_still_passes():
    mask = torch.tensor([[0.0, 1.0, 255.0]])
    batch = collate_segmentation([(torch.rand(3, 1, 3), mask)])
    assert batch.masks.tolist() == [[[0, 1, 255]]]

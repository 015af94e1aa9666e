"""Detection inputs of the wrong kind (targets as Python lists, images without pixels): one
clear line naming the image and the key, not an AttributeError or ZeroDivisionError (torchvision
asserts "Expected target boxes to be of type Tensor")."""

from __future__ import annotations

import pytest
import torch

from detseg.detection.mask_rcnn import target_masks
from detseg.detection.validation import check_targets, images_to_list


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ({"boxes": [[5.0, 5.0, 30.0, 30.0]], "labels": torch.tensor([1])}, "boxes"),
        ({"boxes": torch.tensor([[5.0, 5.0, 30.0, 30.0]]), "labels": [1]}, "labels"),
    ],
)
def test_list_values_are_named(target, key):
    good = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    with pytest.raises(TypeError, match=f"image 1: '{key}' must be a torch.Tensor, got list"):
        check_targets([good, target], 2, num_classes=3)


def test_mask_list_is_named():
    target = {"boxes": torch.tensor([[1.0, 1.0, 3.0, 3.0]]), "masks": [[[0] * 4] * 4]}
    with pytest.raises(TypeError, match="image 0: 'masks' must be a torch.Tensor"):
        target_masks([target], [(4, 4)])


@pytest.mark.parametrize("shape", [(3, 0, 10), (3, 12, 0)])
def test_image_without_pixels_is_named(shape):
    with pytest.raises(ValueError, match=r"image 1 has no pixels"):
        images_to_list([torch.rand(3, 8, 8), torch.rand(*shape)])

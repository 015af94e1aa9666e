"""``num_classes`` is refused, not ignored, by a loader that has no label check to hold it to.

The loaders check detection targets (labels ``1..K``) with ``collate_detection`` only. With the
segmentation collate, a ``num_classes`` used to be accepted and dropped: a caller who asked
for labels up to ``K`` got a loader that checked nothing. It is now one ``ValueError`` line
naming the argument and the fix; segmentation label maps are checked by their readers.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset

from detseg.data.loader import build_loader
from detseg.data.seg_loader import SegBatch, collate_segmentation
from detseg.data.train_loader import build_train_loader

REFUSED = (
    r"^num_classes=2 checks detection labels and is used only with "
    r"collate_fn=collate_detection, not collate_segmentation: pass num_classes=None"
)


class LabelMaps(Dataset):
    """Two 8 x 8 images with label maps holding the value 5 (above ``K = 2``)."""

    image_ids = [0, 1]

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        return torch.rand(3, 8, 8), torch.full((8, 8), 5, dtype=torch.int64)


def test_the_training_loader_refuses_a_class_count_with_the_segmentation_collate():
    with pytest.raises(ValueError, match=REFUSED):
        build_train_loader(
            LabelMaps(), 2, 0, seed=0, collate_fn=collate_segmentation, num_classes=2
        )


def test_the_plain_loader_refuses_it_too():
    with pytest.raises(ValueError, match=REFUSED):
        build_loader(LabelMaps(), 2, shuffle=False, collate_fn=collate_segmentation, num_classes=2)


def test_a_collate_of_ones_own_is_named():
    def stack_all(samples):
        return samples

    with pytest.raises(ValueError, match=r"collate_detection, not stack_all: pass num_classes"):
        build_train_loader(LabelMaps(), 2, 0, seed=0, collate_fn=stack_all, num_classes=3)


def test_without_a_class_count_the_segmentation_loaders_load():
    train = build_train_loader(LabelMaps(), 2, 0, seed=0, collate_fn=collate_segmentation)
    [batch] = list(train)
    assert isinstance(batch, SegBatch) and batch.masks.shape == (2, 8, 8)
    [batch] = list(build_loader(LabelMaps(), 2, shuffle=False, collate_fn=collate_segmentation))
    assert int(batch.masks.max()) == 5

"""Float label maps given to the mIoU: whole numbers are class indices, anything else is
refused. The cast to int64 truncated 0.6 to class 0, 1.6 to class 1, and so scored
probabilities or a bilinearly resized label map as if they were indices (mIoU 1.0 for a
prediction that holds no index at all)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics

TARGET = torch.tensor([[0, 1, 2, 255]])


@pytest.mark.parametrize("name", ["pred", "target"])
@pytest.mark.parametrize("bad", [0.6, float("nan"), float("inf")])
def test_a_float_label_that_is_no_whole_number_is_refused(name: str, bad: float) -> None:
    labels = torch.tensor([[0.0, 1.0, 2.0, 0.0]])
    labels[0, 1] = bad
    pred, target = (labels, TARGET) if name == "pred" else (TARGET.clamp_max(2), labels)
    with pytest.raises(ValueError, match=f"^{name} holds non-integer label {bad:g}; give class"):
        segmentation_metrics([pred], [target], 3)


def test_probabilities_are_not_scored_as_indices() -> None:
    shifted = TARGET.clamp_max(2).double() + 0.6  # truncated: the target itself, mIoU 1.0
    with pytest.raises(ValueError, match="non-integer label 0.6"):
        ConfusionMatrix(3).update(shifted.numpy(), TARGET.numpy())


def test_whole_float_labels_count_as_their_indices() -> None:
    as_ints = segmentation_metrics([TARGET.clamp_max(2)], [TARGET], 3)
    as_floats = segmentation_metrics(
        [TARGET.clamp_max(2).float()], [TARGET.to(torch.float16).numpy().astype(np.float32)], 3
    )
    assert as_floats == as_ints and as_ints["mIoU"] == 1.0

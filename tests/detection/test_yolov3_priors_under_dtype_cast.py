"""The v3 priors stay exact float32 when the head is cast to a half-precision dtype.

A bfloat16 copy of the 373 px COCO prior is 372 (and a float16 one of 2049 px is 2048): every
box the prior decodes would shrink by that ratio.
"""

from __future__ import annotations

import pytest
import torch

from detseg.detection.yolo_heads import YOLOv3Head

PRIORS = [[[10.0, 13.0]], [[62.0, 45.0]], [[373.0, 326.0], [2049.0, 287.1]]]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=str)
def test_priors_keep_float32_under_a_dtype_cast(dtype):
    head = YOLOv3Head([8] * 3, [8, 16, 32], PRIORS, 3, 8, 8).to(dtype)
    assert head.predictors[0].weight.dtype == dtype  # the weights are cast
    for level, group in enumerate(PRIORS):
        prior = head.priors_per_level()[level]
        assert prior.dtype == torch.float32
        torch.testing.assert_close(prior, torch.tensor(group), rtol=0.0, atol=0.0)
    # the decoded candidates use them: at tw = th = 0 a box is its prior's size
    with torch.no_grad():
        for predictor in head.predictors:
            predictor.weight.zero_()
            predictor.bias.zero_()
        boxes, _ = head.candidates(
            [torch.zeros(1, 8, s, s, dtype=dtype) for s in (4, 2, 1)], (32, 32)
        )
    sizes = (boxes[0, -2:, 2:] - boxes[0, -2:, :2]).tolist()
    assert sizes == [[373.0, 326.0], [2049.0, pytest.approx(287.1, abs=1e-4)]]


def test_state_dict_of_a_cast_head_loads_into_a_float32_head():
    head = YOLOv3Head([8] * 3, [8, 16, 32], PRIORS, 3, 8, 8)
    cast = YOLOv3Head([8] * 3, [8, 16, 32], PRIORS, 3, 8, 8).to(torch.bfloat16)
    head.load_state_dict(cast.state_dict())
    torch.testing.assert_close(head.priors_2, torch.tensor(PRIORS[2]), rtol=0.0, atol=0.0)

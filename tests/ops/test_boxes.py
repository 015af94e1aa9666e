"""Box geometry: hand-computed cases and parity with torchvision.ops on random boxes."""

import math

import pytest
import torch
import torchvision.ops as tvops
from hypothesis import given, settings
from hypothesis import strategies as st

from detseg.ops import (
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    generalized_box_iou,
    invalid_box_mask,
    remove_small_boxes,
)

COORD = st.floats(-50.0, 300.0, allow_nan=False, width=32)
SIDE = st.floats(0.5, 200.0, allow_nan=False, width=32)


@st.composite
def xyxy_boxes(draw, min_n=0, max_n=12):
    """Float32 [N, 4] xyxy boxes with positive width and height."""
    rows = draw(st.lists(st.tuples(COORD, COORD, SIDE, SIDE), min_size=min_n, max_size=max_n))
    xywh = torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)
    return tvops.box_convert(xywh, "xywh", "xyxy")


FAST = settings(max_examples=40, deadline=None)


# --- hand-computed -----------------------------------------------------------------------


def test_iou_of_two_written_boxes():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    b = torch.tensor([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    # overlap 5x10 = 50, union 100 + 100 - 50 = 150
    assert torch.allclose(box_iou(a, b), torch.tensor([[1 / 3, 0.0, 1.0]]))


def test_giou_of_written_boxes():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    b = torch.tensor([[20.0, 0.0, 30.0, 10.0]])
    # iou 0, enclosing 30x10 = 300, union 200 -> giou = -(100 / 300)
    assert torch.allclose(generalized_box_iou(a, b), torch.tensor([[-1 / 3]]))


def test_convert_written_box_all_formats():
    xyxy = torch.tensor([[10.0, 20.0, 50.0, 40.0]])
    assert torch.equal(box_convert(xyxy, "xyxy", "xywh"), torch.tensor([[10.0, 20.0, 40.0, 20.0]]))
    assert torch.equal(
        box_convert(xyxy, "xyxy", "cxcywh"), torch.tensor([[30.0, 30.0, 40.0, 20.0]])
    )
    cxcywh = torch.tensor([[30.0, 30.0, 40.0, 20.0]])
    assert torch.equal(
        box_convert(cxcywh, "cxcywh", "xywh"), torch.tensor([[10.0, 20.0, 40.0, 20.0]])
    )
    assert box_convert(xyxy, "xyxy", "xyxy") is not xyxy


def test_area_clip_remove_small_written():
    boxes = torch.tensor([[-5.0, 2.0, 20.0, 8.0], [0.0, 0.0, 0.5, 30.0]])
    assert torch.equal(box_area(boxes), torch.tensor([150.0, 15.0]))
    clipped = clip_boxes_to_image(boxes, (10, 16))  # H=10, W=16
    assert torch.equal(clipped, torch.tensor([[0.0, 2.0, 16.0, 8.0], [0.0, 0.0, 0.5, 10.0]]))
    assert remove_small_boxes(boxes, 1.0).tolist() == [0]
    assert remove_small_boxes(boxes, 0.5).tolist() == [0, 1]  # ">= min_size" keeps equality


def test_invalid_box_mask():
    boxes = torch.tensor(
        [
            [0.0, 0.0, 10.0, 10.0],  # fine
            [5.0, 0.0, 5.0, 10.0],  # zero width
            [0.0, 8.0, 10.0, 2.0],  # negative height
            [0.0, 0.0, float("nan"), 10.0],
            [0.0, 0.0, float("inf"), 10.0],
            [-1.0, 0.0, 10.0, 10.0],  # outside on the left
            [0.0, 0.0, 10.0, 12.0],  # outside at the bottom when H = 11
        ]
    )
    expected_no_size = [False, True, True, True, True, False, False]
    assert invalid_box_mask(boxes).tolist() == expected_no_size
    expected = [False, True, True, True, True, True, True]
    assert invalid_box_mask(boxes, (11, 10)).tolist() == expected
    assert invalid_box_mask(torch.zeros(0, 4)).shape == (0,)


@pytest.mark.parametrize("fmt", ["xyxz", "XYXY"])
def test_unknown_format_raises(fmt):
    with pytest.raises(ValueError, match="format"):
        box_convert(torch.zeros(1, 4), fmt, "xyxy")


def test_bad_shape_raises():
    with pytest.raises(ValueError, match=r"\[\.\.\., 4\]"):
        box_iou(torch.zeros(3, 5), torch.zeros(2, 4))


# --- parity with torchvision.ops --------------------------------------------------------


@FAST
@given(xyxy_boxes(), xyxy_boxes())
def test_iou_and_giou_match_torchvision(a, b):
    assert torch.equal(box_iou(a, b), tvops.box_iou(a, b))
    assert torch.equal(generalized_box_iou(a, b), tvops.generalized_box_iou(a, b))


@FAST
@given(
    xyxy_boxes(),
    st.sampled_from(["xyxy", "xywh", "cxcywh"]),
    st.sampled_from(["xyxy", "xywh", "cxcywh"]),
)
def test_convert_matches_torchvision_and_round_trips(boxes, in_fmt, out_fmt):
    ours = box_convert(boxes, in_fmt, out_fmt)
    torch.testing.assert_close(ours, tvops.box_convert(boxes, in_fmt, out_fmt))
    back = box_convert(ours, out_fmt, in_fmt)
    torch.testing.assert_close(back, boxes, atol=1e-4, rtol=1e-5)


@FAST
@given(
    xyxy_boxes(),
    st.integers(1, 256),
    st.integers(1, 256),
    st.floats(0.0, 60.0, allow_nan=False),
)
def test_area_clip_remove_small_match_torchvision(boxes, h, w, min_size):
    assert torch.equal(box_area(boxes), tvops.box_area(boxes))
    assert torch.equal(clip_boxes_to_image(boxes, (h, w)), tvops.clip_boxes_to_image(boxes, (h, w)))
    assert torch.equal(
        remove_small_boxes(boxes, min_size), tvops.remove_small_boxes(boxes, min_size)
    )


@FAST
@given(xyxy_boxes(min_n=1), st.integers(1, 256), st.integers(1, 256))
def test_invalid_mask_agrees_with_definition(boxes, h, w):
    inside = (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & (boxes[:, 2] <= w) & (boxes[:, 3] <= h)
    assert not invalid_box_mask(boxes).any()  # generator gives positive sides
    assert torch.equal(invalid_box_mask(boxes, (h, w)), ~inside)
    assert math.isclose(float(box_iou(boxes, boxes).diagonal().min()), 1.0, rel_tol=1e-6)


def test_batched_box_iou_equals_box_iou_per_image():
    from detseg.ops import batched_box_iou, box_iou
    from detseg.ops.padding import pad_rows

    g = torch.Generator().manual_seed(0)
    anchors = torch.cat(
        [torch.rand(30, 2, generator=g) * 50, torch.rand(30, 2, generator=g) * 50 + 60], 1
    )
    gts = [
        torch.cat([torch.rand(n, 2, generator=g) * 40, torch.rand(n, 2, generator=g) * 40 + 50], 1)
        for n in (2, 0, 4)
    ]
    padded, valid = pad_rows(gts, min_width=1)
    assert padded.shape == (3, 4, 4) and valid.sum(1).tolist() == [2, 0, 4]
    iou = batched_box_iou(padded, anchors)
    for i, gt in enumerate(gts):
        assert torch.equal(iou[i, : len(gt)], box_iou(gt, anchors))
    assert pad_rows([torch.zeros(0, 4)] * 2, min_width=1)[0].shape == (2, 1, 4)


def test_clip_boxes_to_sizes_equals_clipping_image_by_image():
    from detseg.ops import clip_boxes_to_image, clip_boxes_to_sizes

    g = torch.Generator().manual_seed(1)
    boxes = torch.rand(2, 5, 3, 4, generator=g) * 300 - 50  # [B, R, K, 4], some outside
    sizes = [(120, 200), (250, 90)]
    clipped = clip_boxes_to_sizes(boxes, sizes)
    for b, size in enumerate(sizes):
        want = clip_boxes_to_image(boxes[b].reshape(-1, 4), size).view_as(boxes[b])
        assert torch.equal(clipped[b], want)

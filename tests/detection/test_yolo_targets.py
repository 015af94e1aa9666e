"""YOLO priors, box parametrisations and target assignment, against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from detseg.detection.yolo_targets import (
    assign_yolov1_targets,
    assign_yolov3_per_image,
    keep_largest_per_slot,
    yolov1_responsible,
    yolov3_ignore_mask_per_image,
)
from detseg.ops.yolo_priors import (
    decode_yolov1_boxes,
    decode_yolov3_boxes,
    default_yolov3_priors,
    encode_yolov1_boxes,
    encode_yolov3_boxes,
    paired_box_iou,
    wh_iou,
    yolo_grid_priors,
)


def test_wh_iou_hand_values():
    # (2, 2) vs (4, 1): inter 2 * 1 = 2, union 4 + 4 - 2 = 6; (2, 2) vs (2, 2): 1.
    iou = wh_iou(torch.tensor([[2.0, 2.0]]), torch.tensor([[4.0, 1.0], [2.0, 2.0], [1.0, 1.0]]))
    torch.testing.assert_close(iou, torch.tensor([[1 / 3, 1.0, 0.25]]))


def test_paired_box_iou_hand_values():
    a = torch.tensor([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[2.0, 0.0, 6.0, 4.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    # 8 / (16 + 16 - 8) = 1/3; identical = 1; disjoint = 0
    torch.testing.assert_close(paired_box_iou(a, b), torch.tensor([1 / 3, 1.0, 0.0]))


def test_default_priors_scale_with_input_size():
    priors = default_yolov3_priors(208)
    assert priors[0][0] == (5.0, 6.5)
    assert priors[2][2] == (186.5, 163.0)


def test_grid_priors_layout_y_x_anchor():
    priors = yolo_grid_priors((2, 3), 8, torch.tensor([[10.0, 13.0], [16.0, 30.0]]))
    assert priors.shape == (2 * 3 * 2, 5)
    # row of (y=1, x=2, anchor=1) = (1 * 3 + 2) * 2 + 1 = 11
    torch.testing.assert_close(priors[11], torch.tensor([2.0, 1.0, 16.0, 30.0, 8.0]))
    torch.testing.assert_close(priors[2], torch.tensor([1.0, 0.0, 10.0, 13.0, 8.0]))


def test_yolov3_decode_hand_value():
    # zeros at cell (x=2, y=1), stride 8, prior (10, 13): centre (2.5 * 8, 1.5 * 8) = (20, 12)
    prior = torch.tensor([[2.0, 1.0, 10.0, 13.0, 8.0]])
    box = decode_yolov3_boxes(torch.zeros(1, 4), prior)
    torch.testing.assert_close(box, torch.tensor([[15.0, 5.5, 25.0, 18.5]]))
    # tw = log 2 doubles the width
    box = decode_yolov3_boxes(torch.tensor([[0.0, 0.0, math.log(2.0), 0.0]]), prior)
    torch.testing.assert_close(box, torch.tensor([[10.0, 5.5, 30.0, 18.5]]))


def test_yolov3_encode_decode_round_trip():
    torch.manual_seed(0)
    cells = torch.randint(0, 10, (50, 2)).float()
    stride = 16.0
    offsets = torch.rand(50, 2) * 0.98 + 0.01
    wh = torch.rand(50, 2) * 100 + 2
    centre = (cells + offsets) * stride
    boxes = torch.cat((centre - wh / 2, centre + wh / 2), dim=1)
    priors = torch.cat((cells, torch.rand(50, 2) * 60 + 5, torch.full((50, 1), stride)), dim=1)
    encoded = encode_yolov3_boxes(boxes, priors)
    torch.testing.assert_close(encoded[:, :2], offsets, rtol=0, atol=1e-5)
    raw = torch.cat((torch.logit(encoded[:, :2]), encoded[:, 2:]), dim=1)
    # float32 coordinates below ~210 (ulp 1.5e-5): the round trip is off by a few ulps at most
    torch.testing.assert_close(decode_yolov3_boxes(raw, priors), boxes, rtol=1e-6, atol=1e-4)


def test_yolov1_encode_hand_value_and_round_trip():
    # S = 7 over 448 px: 64 px cells. Centre (128, 96) -> column 2, row 1, offsets (0, 0.5).
    boxes = torch.tensor([[64.0, 64.0, 192.0, 128.0], [0.0, 0.0, 448.0, 448.0]])
    cells, values = encode_yolov1_boxes(boxes, 7, (448, 448))
    assert cells.tolist() == [[1, 2], [3, 3]]
    expected = [[0.0, 0.5, math.sqrt(128 / 448), math.sqrt(64 / 448)], [0.5, 0.5, 1.0, 1.0]]
    torch.testing.assert_close(values, torch.tensor(expected))
    grid = torch.zeros(7, 7, 1, 4)
    grid[1, 2, 0] = values[0]
    grid[3, 3, 0] = values[1]
    decoded = decode_yolov1_boxes(grid, (448, 448))
    torch.testing.assert_close(decoded[1, 2, 0], boxes[0])
    torch.testing.assert_close(decoded[3, 3, 0], boxes[1])


def test_keep_largest_per_slot_prefers_area_then_first():
    slots = torch.tensor([3, 3, 5, 3, 5])
    areas = torch.tensor([4.0, 9.0, 1.0, 9.0, 1.0])
    assert keep_largest_per_slot(slots, areas).tolist() == [False, True, True, False, False]


def test_yolov1_assignment_cells_and_one_object_per_cell():
    # S = 2 over 8 x 8 px (4 px cells). Boxes 0 and 1 share cell (0, 0); box 1 is larger.
    boxes = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 4.0, 4.0], [4.0, 2.0, 8.0, 8.0]])
    labels = torch.tensor([1, 2, 3])
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    dense = assign_yolov1_targets([{"boxes": boxes, "labels": labels}, empty], 2, (8, 8))
    assert dense.object_mask.tolist() == [[[True, False], [False, True]], [[False] * 2] * 2]
    assert dense.labels[0].tolist() == [[2, 0], [0, 3]]
    torch.testing.assert_close(dense.boxes[0, 0, 0], boxes[1])
    # box 2: centre (6, 5) -> row 1, col 1, offsets (0.5, 0.25), sqrt(4/8), sqrt(6/8)
    expected = torch.tensor([0.5, 0.25, math.sqrt(0.5), math.sqrt(0.75)])
    torch.testing.assert_close(dense.encoded[0, 1, 1], expected)


def test_yolov1_responsible_predictor_is_highest_iou():
    boxes = torch.tensor([[0.0, 0.0, 4.0, 4.0]])
    dense = assign_yolov1_targets([{"boxes": boxes, "labels": torch.tensor([1])}], 2, (8, 8))
    pred = torch.zeros(1, 2, 2, 2, 4)
    pred[0, 0, 0, 0] = torch.tensor([1.0, 1.0, 3.0, 3.0])  # IoU 4/16 = 0.25
    pred[0, 0, 0, 1] = torch.tensor([-1.0, 0.0, 3.0, 4.0])  # IoU 12/20 = 0.6
    pred[0, 1, 1, 0] = torch.tensor([0.0, 0.0, 4.0, 4.0])  # perfect, but not an object cell
    responsible, iou = yolov1_responsible(pred, dense)
    assert responsible.nonzero().tolist() == [[0, 0, 0, 1]]
    torch.testing.assert_close(iou[0, 0, 0], torch.tensor([0.25, 0.6]))


# Levels for a 64 x 64 input: strides 8/16/32 -> grids 8x8, 4x4, 2x2, with 2, 1, 2 priors.
PRIORS = [
    torch.tensor([[8.0, 8.0], [12.0, 6.0]]),
    torch.tensor([[20.0, 20.0]]),
    torch.tensor([[40.0, 40.0], [30.0, 60.0]]),
]
STRIDES = [8, 16, 32]
SIZES = [(8, 8), (4, 4), (2, 2)]
TOTAL = 8 * 8 * 2 + 4 * 4 * 1 + 2 * 2 * 2  # 152; level offsets 0, 128, 144


def test_yolov3_assignment_picks_prior_scale_and_cell():
    boxes = torch.tensor(
        [
            [4.0, 4.0, 12.0, 12.0],  # 8x8 -> level 0 prior 0; centre (8, 8) -> cell (1, 1)
            [30.0, 10.0, 50.0, 30.0],  # 20x20 -> level 1; centre (40, 20)/16 -> x 2, y 1
            [0.0, 0.0, 30.0, 60.0],  # 30x60 -> level 2 prior 1; centre (15, 30)/32 -> cell (0, 0)
            [34.0, 40.5, 46.0, 47.5],  # 12x7: IoU .609 (8x8), .857 (12x6) -> level 0 prior 1
            [5.0, 5.0, 11.0, 11.0],  # 6x6 -> level 0 prior 0 at cell (1, 1): loses to box 0
        ]
    )
    matched = assign_yolov3_per_image(boxes, PRIORS, STRIDES, SIZES)
    assert matched.shape == (TOTAL,)
    # slots: 0 + (1*8+1)*2 + 0 = 18; 128 + (1*4+2) = 134; 144 + 0 + 1 = 145;
    # box 3 centre (40, 44)/8 -> x 5, y 5: (5*8+5)*2 + 1 = 91
    expected = torch.full((TOTAL,), -1)
    expected[18], expected[134], expected[145], expected[91] = 0, 1, 2, 3
    assert torch.equal(matched, expected)


def test_yolov3_multi_prior_assignment_above_threshold():
    boxes = torch.tensor(
        [
            # 12x7, centre (40, 44); shape IoU: 8x8 56/92 = .609, 12x6 72/84 = .857,
            # 20x20 84/400 = .21, 40x40 84/1600, 30x60 84/1800
            [34.0, 40.5, 46.0, 47.5],
            # 20x20, centre (40, 20); shape IoU: 20x20 1, 40x40 .25, 30x60 400/1800 = .222,
            # 12x6 72/400 = .18, 8x8 64/400 = .16
            [30.0, 10.0, 50.0, 30.0],
        ]
    )
    # thresh .5: box 0 -> level 0 cell (5, 5) priors 0 and 1: (5*8+5)*2 + 0/1 = 90, 91;
    # box 1 -> its best prior only, level 1 cell (x 2, y 1): 128 + 1*4 + 2 = 134
    matched = assign_yolov3_per_image(boxes, PRIORS, STRIDES, SIZES, assign_thresh=0.5)
    positives = (matched >= 0).nonzero().flatten()
    assert positives.tolist() == [90, 91, 134]
    assert matched[positives].tolist() == [0, 0, 1]
    # thresh .2 adds box 0 -> level 1 cell (x 2, y 2) = 138, box 1 -> level 2 cell (x 1, y 0)
    # priors 0 and 1 = 144 + 1*2 + 0/1 = 146, 147
    matched = assign_yolov3_per_image(boxes, PRIORS, STRIDES, SIZES, assign_thresh=0.2)
    positives = (matched >= 0).nonzero().flatten()
    assert positives.tolist() == [90, 91, 134, 138, 146, 147]
    assert matched[positives].tolist() == [0, 0, 1, 0, 1, 1]


def test_yolov3_assignment_empty_image():
    matched = assign_yolov3_per_image(torch.zeros(0, 4), PRIORS, STRIDES, SIZES)
    assert torch.equal(matched, torch.full((TOTAL,), -1))


def test_yolov3_ignore_mask():
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    pred = torch.tensor(
        [
            [0.0, 0.0, 10.0, 6.0],  # IoU 0.6, unassigned -> ignored
            [0.0, 0.0, 10.0, 6.0],  # IoU 0.6, assigned -> a positive, not ignored
            [0.0, 0.0, 10.0, 4.0],  # IoU 0.4 -> a negative
            [0.0, 0.0, 10.0, 5.0],  # IoU exactly 0.5 -> a negative (strictly above is ignored)
        ]
    )
    matched = torch.tensor([-1, 0, -1, -1])
    ignore = yolov3_ignore_mask_per_image(pred, gt, matched, 0.5)
    assert ignore.tolist() == [True, False, False, False]
    none = yolov3_ignore_mask_per_image(pred, torch.zeros(0, 4), matched, 0.5)
    assert not none.any()


def test_wh_iou_rejects_bad_shape():
    with pytest.raises(ValueError, match="wh1 and wh2"):
        wh_iou(torch.zeros(3, 4), torch.zeros(2, 2))

"""The batched YOLO target assignment and losses against the per-image reference.

The reference below is the per-image implementation the batched one replaced (kept here as a
test-only copy): a Python loop over the images, ``nonzero`` to list the chosen (ground truth,
prior) pairs and boolean indexing to write the winners and to select the positives. The
assignment is discrete, so the batched targets must be *exactly* equal. The losses sum the same
terms in another order (masked sums over the padded batch instead of sums of the selected
rows), so they are compared within float32 rounding: ``rtol=1e-5, atol=1e-6`` (a sum of a few
thousand float32 terms reordered moves by a few ulps of the total, ~1e-7 relative each).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from detseg.detection import yolo_targets
from detseg.detection.yolo_heads import YOLOv1GridHead, YOLOv3Head
from detseg.detection.yolo_loss import YOLOv1LossConfig, YOLOv3LossConfig, yolov1_loss, yolov3_loss
from detseg.detection.yolo_targets import (
    YOLOv1Targets,
    assign_yolov1_targets,
    assign_yolov3_per_image,
    assign_yolov3_targets,
    padded_boxes_and_labels,
    yolov1_responsible,
    yolov3_ignore_mask,
    yolov3_ignore_mask_per_image,
)
from detseg.losses import giou_loss, smooth_l1_loss
from detseg.ops.boxes import _check_boxes, box_area, box_iou
from detseg.ops.padding import pad_rows
from detseg.ops.yolo_priors import (
    decode_yolov1_boxes,
    decode_yolov3_boxes,
    encode_yolov3_boxes,
    wh_iou,
    yolo_grid_priors,
)

LOSS_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}

# ----------------------------------------------------------------------------- reference


def ref_keep_largest_per_slot(slots: Tensor, areas: Tensor) -> Tensor:
    index = torch.arange(slots.numel(), device=slots.device)
    same = slots[:, None] == slots[None, :]  # [N, N]
    beats = (areas[None, :] > areas[:, None]) | (
        (areas[None, :] == areas[:, None]) & (index[None, :] < index[:, None])
    )  # beats[i, j]: gt j wins over gt i
    return ~(same & beats).any(dim=1)


def ref_encode_yolov1_boxes(
    boxes: Tensor, grid_size: int, image_size: tuple[int, int]
) -> tuple[Tensor, Tensor]:
    _check_boxes(boxes)
    height, width = image_size
    scale = boxes.new_tensor([grid_size / width, grid_size / height])
    centre = 0.5 * (boxes[:, 0:2] + boxes[:, 2:4]) * scale  # in cells, (x, y)
    cell_xy = centre.floor().clamp(0, grid_size - 1)
    wh = (boxes[:, 2:4] - boxes[:, 0:2]) / boxes.new_tensor([width, height])
    targets = torch.cat(((centre - cell_xy).clamp(0, 1), wh.clamp(0, 1).sqrt()), dim=-1)
    return cell_xy.flip(-1).long(), targets


def ref_assign_yolov1_per_image(
    boxes: Tensor, labels: Tensor, grid_size: int, image_size: tuple[int, int]
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    s = grid_size
    object_mask = torch.zeros(s * s, dtype=torch.bool, device=boxes.device)
    dense_boxes = boxes.new_zeros((s * s, 4))
    encoded = boxes.new_zeros((s * s, 4))
    dense_labels = torch.zeros(s * s, dtype=torch.int64, device=boxes.device)
    if boxes.numel() > 0:
        cells, values = ref_encode_yolov1_boxes(boxes, s, image_size)
        slots = cells[:, 0] * s + cells[:, 1]
        keep = ref_keep_largest_per_slot(slots, box_area(boxes))
        slots = slots[keep]
        object_mask[slots] = True
        dense_boxes[slots] = boxes[keep]
        encoded[slots] = values[keep]
        dense_labels[slots] = labels[keep]
    shape = (s, s)
    return (
        object_mask.view(shape),
        dense_boxes.view(*shape, 4),
        encoded.view(*shape, 4),
        dense_labels.view(shape),
    )


def ref_assign_yolov1_targets(
    targets: Sequence[dict[str, Tensor]], grid_size: int, image_size: tuple[int, int]
) -> YOLOv1Targets:
    per_image = [
        ref_assign_yolov1_per_image(t["boxes"], t["labels"], grid_size, image_size) for t in targets
    ]
    return YOLOv1Targets(*(torch.stack(parts) for parts in zip(*per_image, strict=True)))


def ref_yolov3_level_index(
    priors_per_level: Sequence[Tensor], feature_sizes: Sequence[tuple[int, int]]
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    device = priors_per_level[0].device
    sizes = torch.cat(list(priors_per_level))
    counts = [p.shape[0] for p in priors_per_level]
    levels = torch.repeat_interleave(
        torch.arange(len(counts), device=device), torch.tensor(counts, device=device)
    )
    anchors = torch.cat([torch.arange(c, device=device) for c in counts])
    numel = torch.tensor(
        [h * w * c for (h, w), c in zip(feature_sizes, counts, strict=True)], device=device
    )
    offsets = torch.cumsum(numel, 0) - numel
    return sizes, levels, anchors, offsets


def ref_assign_yolov3_per_image(
    boxes: Tensor,
    priors_per_level: Sequence[Tensor],
    strides: Sequence[float],
    feature_sizes: Sequence[tuple[int, int]],
    assign_thresh: float | None = None,
) -> Tensor:
    sizes, levels, anchors, offsets = ref_yolov3_level_index(priors_per_level, feature_sizes)
    total = int(
        sum(h * w * p.shape[0] for (h, w), p in zip(feature_sizes, priors_per_level, strict=True))
    )
    matched = torch.full((total,), -1, dtype=torch.int64, device=boxes.device)
    if boxes.numel() == 0:
        return matched
    shape_iou = wh_iou(boxes[:, 2:] - boxes[:, :2], sizes)  # [N, P]
    chosen = torch.zeros_like(shape_iou, dtype=torch.bool)
    chosen[torch.arange(boxes.shape[0]), shape_iou.argmax(dim=1)] = True
    if assign_thresh is not None:
        chosen |= shape_iou > assign_thresh
    gt, prior = chosen.nonzero(as_tuple=True)  # (gt, prior) pairs, gt-major
    level, anchor = levels[prior], anchors[prior]
    level_stride = boxes.new_tensor(list(strides))[level]
    grid = torch.tensor(list(feature_sizes), device=boxes.device)[level]  # [M, 2] (h, w)
    centre = 0.5 * (boxes[gt, :2] + boxes[gt, 2:]) / level_stride[:, None]
    col = centre[:, 0].floor().long().clamp(min=0).minimum(grid[:, 1] - 1)
    row = centre[:, 1].floor().long().clamp(min=0).minimum(grid[:, 0] - 1)
    num_priors = torch.tensor([p.shape[0] for p in priors_per_level], device=boxes.device)
    slots = offsets[level] + (row * grid[:, 1] + col) * num_priors[level] + anchor
    keep = ref_keep_largest_per_slot(slots, box_area(boxes)[gt])
    matched[slots[keep]] = gt[keep]
    return matched


def ref_yolov3_ignore_mask_per_image(
    pred_boxes: Tensor, gt_boxes: Tensor, matched: Tensor, ignore_thresh: float
) -> Tensor:
    if gt_boxes.numel() == 0:
        return torch.zeros_like(matched, dtype=torch.bool)
    best_iou = box_iou(pred_boxes.detach(), gt_boxes).nan_to_num(0.0).amax(dim=1)  # [T]
    return (best_iou > ignore_thresh) & (matched < 0)


def ref_yolov1_loss(
    boxes: Tensor,
    confidence: Tensor,
    class_probs: Tensor,
    pred_boxes: Tensor,
    targets: YOLOv1Targets,
    config: YOLOv1LossConfig,
) -> dict[str, Tensor]:
    batch_size = boxes.shape[0]
    responsible, iou = yolov1_responsible(pred_boxes, targets)
    coord_target = targets.encoded.unsqueeze(-2).expand_as(boxes)  # [B, S, S, P, 4]
    coord_error = (boxes - coord_target).square().sum(dim=-1)
    loss_box = config.lambda_coord * coord_error[responsible].sum() / batch_size
    conf_target = iou if config.rescore else torch.ones_like(iou)
    obj = (confidence - conf_target).square()[responsible].sum()
    noobj = confidence.square()[~responsible].sum()
    loss_obj = (obj + config.lambda_noobj * noobj) / batch_size
    num_classes = class_probs.shape[-1]
    one_hot = F.one_hot((targets.labels - 1).clamp(min=0), num_classes).to(class_probs.dtype)
    cls_error = (class_probs - one_hot).square().sum(dim=-1)  # [B, S, S]
    loss_cls = cls_error[targets.object_mask].sum() / batch_size
    return {"loss_box": loss_box, "loss_obj": loss_obj, "loss_cls": loss_cls}


def ref_yolov3_loss(
    raw: Tensor,
    priors: Tensor,
    pred_boxes: Tensor,
    matched: Tensor,
    ignore: Tensor,
    targets: Sequence[dict[str, Tensor]],
    config: YOLOv3LossConfig,
) -> dict[str, Tensor]:
    batch_size, num_classes = raw.shape[0], raw.shape[-1] - 5
    positive = matched >= 0  # [B, T]
    gt_boxes = torch.cat([t["boxes"][m[m >= 0]] for t, m in zip(targets, matched, strict=True)])
    gt_labels = torch.cat([t["labels"][m[m >= 0]] for t, m in zip(targets, matched, strict=True)])
    raw_pos = raw[positive]  # [M, 5 + K], image-major like gt_boxes
    if config.box_loss == "giou":
        box = giou_loss(pred_boxes[positive], gt_boxes.to(raw.dtype), reduction="sum")
    else:
        prior_index = positive.nonzero()[:, 1]
        box_target = encode_yolov3_boxes(gt_boxes.to(raw.dtype), priors[prior_index])
        box_target[:, 0:2] = box_target[:, 0:2].clamp(0, 1)  # centres outside the image
        box_pred = torch.cat((raw_pos[:, 0:2].sigmoid(), raw_pos[:, 2:4]), dim=-1)
        box = smooth_l1_loss(box_pred, box_target, beta=config.smooth_l1_beta, reduction="sum")
    objectness = raw[..., 4]
    bce_obj = F.binary_cross_entropy_with_logits(
        objectness, positive.to(raw.dtype), reduction="none"
    )
    negative = ~positive & ~ignore
    obj = config.obj_weight * bce_obj[positive].sum() + config.noobj_weight * (
        bce_obj[negative].sum()
    )
    one_hot = F.one_hot(gt_labels - 1, num_classes).to(raw.dtype)
    cls = F.binary_cross_entropy_with_logits(raw_pos[:, 5:], one_hot, reduction="sum")
    return {
        "loss_box": config.box_weight * box / batch_size,
        "loss_obj": obj / batch_size,
        "loss_cls": config.cls_weight * cls / batch_size,
    }


# ----------------------------------------------------------------------------- random batches

# a 64 x 64 input: strides 8/16/32 -> grids 8x8, 4x4, 2x2 with 2, 1, 3 priors (T = 156)
PRIORS = [
    torch.tensor([[8.0, 8.0], [12.0, 6.0]]),
    torch.tensor([[20.0, 20.0]]),
    torch.tensor([[40.0, 40.0], [30.0, 60.0], [8.0, 8.0]]),  # a shape shared with level 0
]
STRIDES = [8, 16, 32]
SIZES = [(8, 8), (4, 4), (2, 2)]
IMAGE = (64, 64)
NUM_CLASSES = 4


def _random_boxes(generator: torch.Generator, size: tuple[int, int]) -> Tensor:
    """0 to 10 integer-pixel xyxy boxes, with the hard cases mixed in: repeated boxes (the same
    centre and area), boxes of the same centre but another size, boxes of the same area
    elsewhere, boxes at the image border (centres on the last cell's far edge) and centres
    exactly on cell edges."""
    height, width = size
    count = int(torch.randint(0, 11, (1,), generator=generator))
    rows = []
    for _ in range(count):
        kind = int(torch.randint(0, 6, (1,), generator=generator))
        if rows and kind == 0:  # the same box again: a tie in area and centre
            rows.append(rows[int(torch.randint(0, len(rows), (1,), generator=generator))])
            continue
        if rows and kind == 1:  # the same centre, another size
            x1, y1, x2, y2 = rows[-1]
            rows.append([x1 - 2, y1 - 1, x2 + 2, y2 + 1])
            continue
        if rows and kind == 2:  # the same area, moved
            x1, y1, x2, y2 = rows[-1]
            dx, dy = (int(v) for v in torch.randint(-9, 10, (2,), generator=generator))
            rows.append([x1 + dx, y1 + dy, x2 + dx, y2 + dy])
            continue
        if kind == 3:  # touching the far border (or the whole image)
            w, h = (int(v) for v in torch.randint(1, 40, (2,), generator=generator))
            rows.append([max(width - w, 0), max(height - h, 0), width, height])
            continue
        w = int(torch.randint(1, width, (1,), generator=generator))
        h = int(torch.randint(1, height, (1,), generator=generator))
        x1 = int(torch.randint(0, width - w + 1, (1,), generator=generator))
        y1 = int(torch.randint(0, height - h + 1, (1,), generator=generator))
        rows.append([x1, y1, x1 + w, y1 + h])
    boxes = torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)
    # clip into the image, keeping a positive size
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    boxes[:, 2] = torch.maximum(boxes[:, 2], boxes[:, 0] + 1)
    boxes[:, 3] = torch.maximum(boxes[:, 3], boxes[:, 1] + 1)
    return boxes


def _random_targets(
    seed: int, batch_size: int, size: tuple[int, int] = IMAGE
) -> list[dict[str, Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    targets = []
    for _ in range(batch_size):
        boxes = _random_boxes(generator, size)
        labels = torch.randint(1, NUM_CLASSES + 1, (boxes.shape[0],), generator=generator)
        targets.append({"boxes": boxes, "labels": labels})
    return targets


EMPTY = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
SEEDS = range(60)


def _assert_dense_equal(new: YOLOv1Targets, ref: YOLOv1Targets) -> None:
    for field in ("object_mask", "boxes", "encoded", "labels"):
        assert torch.equal(getattr(new, field), getattr(ref, field)), field


# ----------------------------------------------------------------------------- assignment


@pytest.mark.parametrize(("grid_size", "size"), [(7, (448, 448)), (2, IMAGE), (5, (64, 96))])
def test_yolov1_targets_equal_the_per_image_reference(grid_size, size):
    for seed in SEEDS:
        targets = _random_targets(seed, 3, size)
        new = assign_yolov1_targets(targets, grid_size, size)
        _assert_dense_equal(new, ref_assign_yolov1_targets(targets, grid_size, size))


def test_yolov1_targets_of_empty_images():
    for targets in ([EMPTY], [EMPTY, EMPTY], [_random_targets(1, 1)[0], EMPTY]):
        new = assign_yolov1_targets(targets, 7, IMAGE)
        _assert_dense_equal(new, ref_assign_yolov1_targets(targets, 7, IMAGE))


@pytest.mark.parametrize("assign_thresh", [None, 0.3, 0.213, 0.0])
def test_yolov3_assignment_equals_the_per_image_reference(assign_thresh):
    for seed in SEEDS:
        targets = _random_targets(seed, 3)
        gt_boxes, _, valid = padded_boxes_and_labels(targets)
        matched = assign_yolov3_targets(gt_boxes, valid, PRIORS, STRIDES, SIZES, assign_thresh)
        for image, target in enumerate(targets):
            ref = ref_assign_yolov3_per_image(
                target["boxes"], PRIORS, STRIDES, SIZES, assign_thresh
            )
            assert torch.equal(matched[image], ref), (seed, image)
            one = assign_yolov3_per_image(target["boxes"], PRIORS, STRIDES, SIZES, assign_thresh)
            assert torch.equal(one, ref), (seed, image)


def test_yolov3_assignment_of_a_batch_without_boxes():
    gt_boxes, _, valid = padded_boxes_and_labels([EMPTY, EMPTY])
    matched = assign_yolov3_targets(gt_boxes, valid, PRIORS, STRIDES, SIZES, 0.3)
    assert torch.equal(matched, torch.full((2, 156), -1))


@pytest.mark.parametrize("ignore_thresh", [0.0, 0.3, 0.5, 0.7])
def test_yolov3_ignore_mask_equals_the_per_image_reference(ignore_thresh):
    priors = torch.cat(
        [yolo_grid_priors(s, st, p) for s, st, p in zip(SIZES, STRIDES, PRIORS, strict=True)]
    )
    for seed in SEEDS[:20]:
        targets = _random_targets(seed, 3) + [EMPTY]
        generator = torch.Generator().manual_seed(seed)
        raw = torch.randn(len(targets), priors.shape[0], 4, generator=generator)
        pred = decode_yolov3_boxes(raw, priors)
        same = targets[0]["boxes"][:5]  # predictions equal to a ground truth: IoU exactly 1
        pred[0, : same.shape[0]] = same
        gt_boxes, _, valid = padded_boxes_and_labels(targets)
        matched = assign_yolov3_targets(gt_boxes, valid, PRIORS, STRIDES, SIZES)
        ignore = yolov3_ignore_mask(pred, gt_boxes, valid, matched, ignore_thresh)
        for image, target in enumerate(targets):
            ref = ref_yolov3_ignore_mask_per_image(
                pred[image], target["boxes"], matched[image], ignore_thresh
            )
            assert torch.equal(ignore[image], ref), (seed, image)
            one = yolov3_ignore_mask_per_image(
                pred[image], target["boxes"], matched[image], ignore_thresh
            )
            assert torch.equal(one, ref), (seed, image)


# ----------------------------------------------------------------------------- losses


def _assert_losses_close(new: dict[str, Tensor], ref: dict[str, Tensor]) -> None:
    assert new.keys() == ref.keys()
    for name in ref:
        torch.testing.assert_close(new[name], ref[name], **LOSS_TOLERANCE, msg=name)


def _assert_gradients_close(new: dict[str, Tensor], ref: dict[str, Tensor], inputs) -> None:
    """The gradients of the summed losses with respect to ``inputs``: finite and equal."""
    new_grads = torch.autograd.grad(sum(new.values()), inputs, retain_graph=True)
    ref_grads = torch.autograd.grad(sum(ref.values()), inputs)
    for new_grad, ref_grad in zip(new_grads, ref_grads, strict=True):
        assert torch.isfinite(new_grad).all()
        torch.testing.assert_close(new_grad, ref_grad, **LOSS_TOLERANCE)


V1_CONFIGS = {
    "paper": YOLOv1LossConfig(),
    "no_rescore": YOLOv1LossConfig(rescore=False),
    "weights": YOLOv1LossConfig(lambda_coord=2.0, lambda_noobj=0.1),
}


@pytest.mark.parametrize("config", V1_CONFIGS, ids=str)
def test_yolov1_loss_equals_the_reference(config):
    grid, per_cell, size = 4, 2, IMAGE
    for seed in SEEDS[:20]:
        targets = _random_targets(seed, 3, size)
        targets[1] = EMPTY  # one image without boxes
        generator = torch.Generator().manual_seed(seed)
        batch = len(targets)
        boxes = torch.rand(batch, grid, grid, per_cell, 4, generator=generator).requires_grad_()
        confidence = torch.rand(batch, grid, grid, per_cell, generator=generator)
        confidence.requires_grad_()
        logits = torch.randn(batch, grid, grid, NUM_CLASSES, generator=generator)
        logits.requires_grad_()
        class_probs = logits.softmax(dim=-1)
        decoded = decode_yolov1_boxes(boxes, size)
        dense = ref_assign_yolov1_targets(targets, grid, size)
        args = (boxes, confidence, class_probs, decoded, dense, V1_CONFIGS[config])
        new, ref = yolov1_loss(*args), ref_yolov1_loss(*args)
        _assert_losses_close(new, ref)
        _assert_gradients_close(new, ref, (boxes, confidence, logits))


V3_CONFIGS = {
    "giou": YOLOv3LossConfig(),
    "smooth_l1": YOLOv3LossConfig(box_loss="smooth_l1"),
    "smooth_l1_beta0": YOLOv3LossConfig(box_loss="smooth_l1", smooth_l1_beta=0.0),
    "multi_prior_weights": YOLOv3LossConfig(
        assign_thresh=0.3,
        ignore_thresh=0.3,
        box_weight=5.0,
        obj_weight=2.0,
        noobj_weight=0.5,
        cls_weight=0.7,
    ),
    "smooth_l1_no_ignore": YOLOv3LossConfig(box_loss="smooth_l1", ignore_thresh=1.0),
}


@pytest.mark.parametrize("config", V3_CONFIGS, ids=str)
def test_yolov3_loss_equals_the_reference(config):
    cfg = V3_CONFIGS[config]
    priors = torch.cat(
        [yolo_grid_priors(s, st, p) for s, st, p in zip(SIZES, STRIDES, PRIORS, strict=True)]
    )
    for seed in SEEDS[:20]:
        targets = _random_targets(seed, 3)
        targets[2] = EMPTY  # one image without boxes
        generator = torch.Generator().manual_seed(seed)
        raw = torch.randn(len(targets), priors.shape[0], 5 + NUM_CLASSES, generator=generator)
        raw.requires_grad_()
        decoded = decode_yolov3_boxes(raw[..., :4], priors)
        matched = torch.stack(
            [
                ref_assign_yolov3_per_image(t["boxes"], PRIORS, STRIDES, SIZES, cfg.assign_thresh)
                for t in targets
            ]
        )
        ignore = torch.stack(
            [
                ref_yolov3_ignore_mask_per_image(d, t["boxes"], m, cfg.ignore_thresh)
                for d, t, m in zip(decoded, targets, matched, strict=True)
            ]
        )
        gt_boxes, gt_labels, _ = padded_boxes_and_labels(targets)
        new = yolov3_loss(raw, priors, decoded, matched, ignore, gt_boxes, gt_labels, cfg)
        ref = ref_yolov3_loss(raw, priors, decoded, matched, ignore, targets, cfg)
        _assert_losses_close(new, ref)
        _assert_gradients_close(new, ref, (raw,))


def test_yolov3_loss_of_a_batch_without_boxes_is_objectness_only():
    priors = yolo_grid_priors((2, 2), 4, torch.tensor([[4.0, 4.0]]))
    raw = torch.randn(2, 4, 5 + NUM_CLASSES, requires_grad=True)
    matched = torch.full((2, 4), -1)
    ignore = torch.zeros(2, 4, dtype=torch.bool)
    decoded = decode_yolov3_boxes(raw[..., :4], priors)
    for box_loss in ("giou", "smooth_l1"):
        config = YOLOv3LossConfig(box_loss=box_loss)
        gt_boxes, gt_labels, _ = padded_boxes_and_labels([EMPTY, EMPTY])  # N = 0
        losses = yolov3_loss(raw, priors, decoded, matched, ignore, gt_boxes, gt_labels, config)
        assert losses["loss_box"].item() == 0.0 and losses["loss_cls"].item() == 0.0
        expected = F.binary_cross_entropy_with_logits(
            raw[..., 4], torch.zeros(2, 4), reduction="sum"
        )
        torch.testing.assert_close(losses["loss_obj"], expected / 2)
        (grad,) = torch.autograd.grad(sum(losses.values()), raw)
        assert torch.isfinite(grad).all()


# ----------------------------------------------------------------------------- heads


def _ref_yolov3_head_losses(head: YOLOv3Head, features, targets) -> dict[str, Tensor]:
    """The head's losses as they were computed: a loop over the images."""
    raw, priors, sizes = head(features)
    decoded = decode_yolov3_boxes(raw[..., :4], priors)
    config = head.loss_config
    matched = [
        ref_assign_yolov3_per_image(
            t["boxes"], head.priors_per_level(), head.strides, sizes, config.assign_thresh
        )
        for t in targets
    ]
    ignore = [
        ref_yolov3_ignore_mask_per_image(d, t["boxes"], m, config.ignore_thresh)
        for d, t, m in zip(decoded, targets, matched, strict=True)
    ]
    return ref_yolov3_loss(
        raw, priors, decoded, torch.stack(matched), torch.stack(ignore), targets, config
    )


@pytest.mark.parametrize("config", V3_CONFIGS, ids=str)
def test_yolov3_head_losses_equal_the_per_image_loop(config):
    torch.manual_seed(0)
    head = YOLOv3Head([8, 8, 8], STRIDES, [p.tolist() for p in PRIORS], NUM_CLASSES, 8, 8)
    head.loss_config = V3_CONFIGS[config]
    for seed in SEEDS[:5]:
        targets = _random_targets(seed, 3)
        targets[0] = EMPTY
        generator = torch.Generator().manual_seed(seed)
        features = [torch.randn(3, 8, h, w, generator=generator) for h, w in SIZES]
        new = head.losses(features, targets, IMAGE)
        _assert_losses_close(new, _ref_yolov3_head_losses(head, features, targets))


def test_yolov3_head_pads_the_targets_once(monkeypatch):
    """The head pads boxes and labels once and hands the padded tensors to the loss."""
    calls = []

    def counting_pad_rows(*args, **kwargs):
        calls.append(kwargs.get("min_width", 0))
        return pad_rows(*args, **kwargs)

    monkeypatch.setattr(yolo_targets, "pad_rows", counting_pad_rows)
    torch.manual_seed(0)
    head = YOLOv3Head([8, 8, 8], STRIDES, [p.tolist() for p in PRIORS], NUM_CLASSES, 8, 8)
    features = [torch.randn(2, 8, h, w) for h, w in SIZES]
    for targets in (_random_targets(SEEDS[0], 2), [EMPTY, EMPTY]):
        calls.clear()
        losses = head.losses(features, targets, IMAGE)
        assert calls == [0, 0]  # boxes, labels
        assert all(torch.isfinite(v) for v in losses.values())


def test_yolov1_head_losses_equal_the_reference():
    torch.manual_seed(0)
    head = YOLOv1GridHead(8, NUM_CLASSES, grid_size=4, boxes_per_cell=2, head_channels=8)
    for seed in SEEDS[:5]:
        targets = _random_targets(seed, 3)
        targets[1] = EMPTY
        features = [torch.randn(3, 8, 4, 4, generator=torch.Generator().manual_seed(seed))]
        new = head.losses(features, targets, IMAGE)
        boxes, confidence, class_probs = head(features)
        dense = ref_assign_yolov1_targets(targets, 4, IMAGE)
        decoded = decode_yolov1_boxes(boxes, IMAGE)
        ref = ref_yolov1_loss(boxes, confidence, class_probs, decoded, dense, head.loss_config)
        _assert_losses_close(new, ref)

"""batched_nms and filter_detections: written cases and parity with torchvision.ops."""

import pytest
import torch
import torchvision.ops as tvops
from hypothesis import given, settings
from hypothesis import strategies as st

from detseg.ops import batched_nms, filter_detections

FAST = settings(max_examples=40, deadline=None)

# Three overlapping boxes (IoU(a, b) = 0.81 > 0.5, IoU(a, c) = 0) and one far away.
BOXES = torch.tensor(
    [
        [0.0, 0.0, 10.0, 10.0],  # a
        [1.0, 1.0, 10.0, 10.0],  # b: IoU with a = 81 / 100
        [20.0, 20.0, 30.0, 30.0],  # c
        [0.0, 0.0, 10.0, 9.0],  # d: IoU with a = 0.9
    ]
)
SCORES = torch.tensor([0.9, 0.8, 0.3, 0.95])


@st.composite
def detections(draw, max_n=40):
    n = draw(st.integers(0, max_n))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 60
    boxes = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 40 + 1], dim=1)
    scores = torch.rand(n, generator=g)
    labels = torch.randint(1, 4, (n,), generator=g)
    return boxes, scores, labels


def test_nms_written_single_class():
    labels = torch.zeros(4, dtype=torch.int64)
    # d (0.95) suppresses a (0.9, IoU 0.9) and b (IoU with d = 72 / 99 > 0.5); c survives
    assert batched_nms(BOXES, SCORES, labels, 0.5).tolist() == [3, 2]
    # at threshold 0.85 only a is suppressed by d; b (IoU 0.727 with d) survives
    assert batched_nms(BOXES, SCORES, labels, 0.85).tolist() == [3, 1, 2]


def test_nms_written_is_class_wise():
    labels = torch.tensor([1, 1, 1, 2])  # d is another class: it suppresses nothing
    assert batched_nms(BOXES, SCORES, labels, 0.5).tolist() == [3, 0, 2]


def test_filter_detections_threshold_nms_topk():
    labels = torch.tensor([1, 1, 1, 2])
    # score > 0.3 drops c (0.3 is not above the threshold); a suppresses b inside class 1
    assert filter_detections(BOXES, SCORES, labels, 0.3, 0.5, 100).tolist() == [3, 0]
    assert filter_detections(BOXES, SCORES, labels, 0.0, 0.5, 100).tolist() == [3, 0, 2]
    assert filter_detections(BOXES, SCORES, labels, 0.0, 0.5, 2).tolist() == [3, 0]
    assert filter_detections(BOXES, SCORES, labels, 0.0, 0.5, 0).tolist() == []
    assert filter_detections(BOXES, SCORES, labels, 0.99, 0.5, 10).tolist() == []


def test_empty_input():
    empty = torch.zeros(0, 4)
    no = torch.zeros(0)
    labels = torch.zeros(0, dtype=torch.int64)
    assert batched_nms(empty, no, labels, 0.5).shape == (0,)
    keep = filter_detections(empty, no, labels, 0.05, 0.5, 100)
    assert keep.shape == (0,) and keep.dtype == torch.int64


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="same N"):
        batched_nms(BOXES, SCORES[:3], torch.zeros(4, dtype=torch.int64), 0.5)
    with pytest.raises(ValueError, match="max_detections"):
        filter_detections(BOXES, SCORES, torch.zeros(4, dtype=torch.int64), 0.1, 0.5, -1)


@FAST
@given(detections(), st.floats(0.1, 0.9))
def test_batched_nms_matches_torchvision(dets, iou_threshold):
    boxes, scores, labels = dets
    ours = batched_nms(boxes, scores, labels, iou_threshold)
    assert torch.equal(ours, tvops.batched_nms(boxes, scores, labels, iou_threshold))


@FAST
@given(detections(), st.floats(0.0, 0.9), st.floats(0.1, 0.9), st.integers(0, 30))
def test_filter_detections_matches_reference_steps(dets, score_thr, iou_thr, k):
    boxes, scores, labels = dets
    keep = filter_detections(boxes, scores, labels, score_thr, iou_thr, k)
    # reference: torchvision RoIHeads.postprocess_detections without its small-box step
    idx = torch.where(scores > score_thr)[0]
    ref = tvops.batched_nms(boxes[idx], scores[idx], labels[idx], iou_thr)[:k]
    assert torch.equal(keep, idx[ref])
    assert bool((scores[keep][:-1] >= scores[keep][1:]).all())


def test_filter_detections_many_boxes_path():
    # > 1000 boxes takes torchvision's per-class loop instead of the offset trick
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(1500, 2, generator=g) * 200
    boxes = torch.cat([xy, xy + torch.rand(1500, 2, generator=g) * 50 + 1], dim=1)
    scores, labels = torch.rand(1500, generator=g), torch.randint(1, 6, (1500,), generator=g)
    keep = filter_detections(boxes, scores, labels, 0.0, 0.5, 100)
    assert torch.equal(keep, tvops.batched_nms(boxes, scores, labels, 0.5)[:100])


def test_grouped_nms_rows_per_call_is_batched_nms_per_image():
    """Rows of one image suppressed by one torchvision batched_nms call (rows as groups)."""
    from detseg.ops import grouped_nms

    g = torch.Generator().manual_seed(3)
    images, rows, width = 2, 3, 50
    xy = torch.rand(images * rows, width, 2, generator=g) * 400
    boxes = torch.cat([xy, xy + torch.rand(images * rows, width, 2, generator=g) * 80 + 1], -1)
    scores = torch.rand(images * rows, width, generator=g)
    valid = torch.rand(images * rows, width, generator=g) > 0.2
    keep = grouped_nms(boxes, scores, 0.5, valid, backend="torchvision", rows_per_call=rows)
    row_ids = torch.arange(rows).repeat_interleave(width)
    for image in range(images):
        block = slice(image * rows, (image + 1) * rows)
        candidates = torch.where(valid[block].reshape(-1))[0]
        kept = tvops.batched_nms(
            boxes[block].reshape(-1, 4)[candidates],
            scores[block].reshape(-1)[candidates],
            row_ids[candidates],
            0.5,
        )
        want = torch.zeros(rows * width, dtype=torch.bool)
        want[candidates[kept]] = True
        assert torch.equal(keep[block].reshape(-1), want)
    # the same kept boxes as one call per row (torchvision.ops.nms), here away from ties
    assert torch.equal(keep, grouped_nms(boxes, scores, 0.5, valid, backend="torchvision"))
    with pytest.raises(ValueError, match="rows_per_call"):
        grouped_nms(boxes, scores, 0.5, valid, backend="torchvision", rows_per_call=4)


@pytest.mark.parametrize("rows_per_call", [1, 3])
def test_grouped_nms_of_rows_without_candidates(rows_per_call):
    """Zero candidates per row (a detector whose boxes all fell below its thresholds)."""
    from detseg.ops import grouped_nms

    boxes, scores = torch.zeros(6, 0, 4), torch.zeros(6, 0)
    keep = grouped_nms(boxes, scores, 0.5, backend="torchvision", rows_per_call=rows_per_call)
    assert keep.shape == (6, 0) and keep.dtype == torch.bool


def _many_class_candidates(seed: int, images: int, classes: int, width: int):
    """A detector's candidates: ``images x classes`` rows of ``width`` boxes, 90 % valid."""
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(images * classes, width, 2, generator=g) * 300
    boxes = torch.cat([xy, xy + torch.rand(images * classes, width, 2, generator=g) * 60 + 1], -1)
    scores = torch.rand(images * classes, width, generator=g)
    valid = torch.rand(images * classes, width, generator=g) > 0.1
    return boxes, scores, valid


@pytest.mark.parametrize("quantised", [False, True])
def test_grouped_nms_max_kept_gives_the_top_of_the_full_nms(quantised):
    """Over 1,000 candidates an image's top 100 kept boxes come from a score prefix; with equal
    scores (quantised) the full NMS runs. Either way the top 100 are torchvision's."""
    from detseg.ops import grouped_nms
    from detseg.ops.nms import kept_per_image

    images, classes, width = 2, 30, 200  # 5,400 candidates per image
    boxes, scores, valid = _many_class_candidates(5, images, classes, width)
    if quantised:
        scores = (scores * 50).round() / 50
    full = grouped_nms(boxes, scores, 0.5, valid, backend="torchvision", rows_per_call=classes)
    top = grouped_nms(
        boxes,
        scores,
        0.5,
        valid,
        backend="torchvision",
        rows_per_call=classes,
        max_kept_per_call=100,
    )
    assert bool((top <= full).all())  # nothing kept that the full NMS drops
    assert (top.sum() < full.sum()) != quantised  # the prefix answered, unless scores tie
    as_images = {
        name: (keep.view(images, classes * width), scores.view(images, -1), valid.view(images, -1))
        for name, keep in (("full", full), ("top", top))
    }
    want = kept_per_image(*as_images["full"], limit=100)
    have = kept_per_image(*as_images["top"], limit=100)
    for image, (w, h) in enumerate(zip(want, have, strict=True)):
        assert w.shape == (100,) and torch.equal(h, w), image
        # and that is torchvision's batched_nms of the image, top 100
        block = slice(image * classes, (image + 1) * classes)
        candidates = torch.where(valid[block].reshape(-1))[0]
        reference = tvops.batched_nms(
            boxes[block].reshape(-1, 4)[candidates],
            scores[block].reshape(-1)[candidates],
            torch.arange(classes).repeat_interleave(width)[candidates],
            0.5,
        )[:100]
        assert torch.equal(candidates[reference], w)


def test_top_kept_is_kept_per_image_padded():
    """Without equal scores, each image's kept candidates come in kept_per_image's order,
    followed by padding marked invalid; the cut is min(limit, candidates)."""
    from detseg.ops.nms import kept_per_image, top_kept

    g = torch.Generator().manual_seed(0)
    scores = torch.rand(3, 40, generator=g)
    keep = torch.rand(3, 40, generator=g) > 0.6
    keep[2] = False  # an image that keeps nothing
    valid = torch.ones_like(keep)
    for limit in (5, 100):
        index, is_kept = top_kept(keep, scores, limit)
        assert index.shape == is_kept.shape == (3, min(limit, 40))
        for image, want in enumerate(kept_per_image(keep, scores, valid, limit)):
            count = want.shape[0]
            assert torch.equal(index[image, :count], want)
            assert is_kept[image, :count].all() and not is_kept[image, count:].any()

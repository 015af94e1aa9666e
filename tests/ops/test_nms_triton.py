"""The Triton NMS (grouped_nms / batched_nms on CUDA) against torchvision.ops.nms.

Every case compares kept indices *and their order* with ``torchvision.ops.nms`` run on the same
boxes: random sets, many equal scores, identical boxes, chains of overlapping boxes, empty
input, one box, and many groups of different sizes at once. The cases run on CUDA (marked
``cuda``) and, without a GPU, on the CPU through Triton's interpreter (``TRITON_INTERPRET=1``,
set in a subprocess by :func:`test_triton_kernels_under_the_interpreter`; small sizes there, the
interpreter is slow).
"""

from __future__ import annotations

import pytest
import torch
import torchvision.ops as tvops
from triton_interpreter import DEVICES, assert_cpu_cases_pass_under_the_interpreter

from detseg.ops import batched_nms, grouped_nms


def _random_boxes(generator, shape, span=60.0, side=40.0, integer=False):
    xy = torch.rand(*shape, 2, generator=generator) * span
    boxes = torch.cat([xy, xy + torch.rand(*shape, 2, generator=generator) * side + 1], dim=-1)
    return boxes.round() if integer else boxes


def _reference_rows(boxes, scores, valid, threshold):
    """torchvision.ops.nms on the valid boxes of each row: kept indices in kept order."""
    rows = []
    for row_boxes, row_scores, row_valid in zip(boxes, scores, valid, strict=True):
        candidates = torch.where(row_valid)[0]
        kept = tvops.nms(row_boxes[candidates], row_scores[candidates], threshold)
        rows.append(candidates[kept])
    return rows


def _check_grouped(boxes, scores, valid, threshold):
    """grouped_nms keeps exactly the reference's boxes, and in score order they match too."""
    keep = grouped_nms(boxes, scores, threshold, valid, backend="triton")
    reference = _reference_rows(boxes, scores, valid, threshold)
    for row, want in enumerate(reference):
        have = torch.where(keep[row])[0]
        # same set; then the same order once sorted like torchvision (stable, by score)
        assert torch.equal(have, want.sort().values), f"row {row}"
        order = scores[row, have].sort(descending=True, stable=True).indices
        assert torch.equal(have[order], want), f"row {row}"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("threshold", [0.3, 0.7])
def test_random_groups_of_different_sizes(device, threshold):
    g = torch.Generator().manual_seed(int(threshold * 10))
    n = 200 if device == "cuda" else 70
    boxes = _random_boxes(g, (4, n)).to(device)
    scores = torch.rand(4, n, generator=g).to(device)
    valid = torch.rand(4, n, generator=g) > 0.3
    valid[1, n // 3 :] = False  # a short row
    valid[2] = False  # a row with nothing to keep
    _check_grouped(boxes, scores, valid.to(device), threshold)


@pytest.mark.parametrize("device", DEVICES)
def test_equal_scores_and_identical_boxes(device):
    g = torch.Generator().manual_seed(1)
    n = 96
    boxes = _random_boxes(g, (3, n), integer=True)
    boxes[1] = torch.tensor([5.0, 5.0, 25.0, 25.0])  # a row of one box repeated
    scores = (torch.rand(3, n, generator=g) * 3).round() / 3  # four score values
    scores[1] = 0.5
    valid = torch.ones(3, n, dtype=torch.bool)
    _check_grouped(boxes.to(device), scores.to(device), valid.to(device), 0.5)
    keep = grouped_nms(boxes[1:2].to(device), scores[1:2].to(device), 0.5, backend="triton")
    assert torch.where(keep[0])[0].tolist() == [0]  # the first of equal boxes and scores


@pytest.mark.parametrize("device", DEVICES)
def test_chain_of_overlapping_boxes(device):
    # each box overlaps its neighbours with IoU > 0.5 but not the ones two steps away: the
    # greedy result (every other box) needs the whole chain to be resolved in order
    n = 80
    x = torch.arange(n, dtype=torch.float32) * 4
    boxes = torch.stack([x, torch.zeros(n), x + 10, torch.full((n,), 10.0)], dim=1)[None]
    scores = torch.linspace(1, 0.1, n)[None]
    valid = torch.ones(1, n, dtype=torch.bool)
    _check_grouped(boxes.to(device), scores.to(device), valid.to(device), 0.4)


@pytest.mark.parametrize("device", DEVICES)
def test_empty_and_single_box(device):
    empty = grouped_nms(
        torch.zeros(2, 0, 4, device=device), torch.zeros(2, 0, device=device), 0.5, backend="triton"
    )
    assert empty.shape == (2, 0)
    none = grouped_nms(
        torch.zeros(0, 5, 4, device=device), torch.zeros(0, 5, device=device), 0.5, backend="triton"
    )
    assert none.shape == (0, 5)
    one = grouped_nms(
        torch.tensor([[[1.0, 2.0, 3.0, 4.0]]], device=device),
        torch.tensor([[0.3]], device=device),
        0.5,
        backend="triton",
    )
    assert one.tolist() == [[True]]
    flat = batched_nms(
        torch.zeros(0, 4, device=device),
        torch.zeros(0, device=device),
        torch.zeros(0, dtype=torch.int64, device=device),
        0.5,
        backend="triton",
    )
    assert flat.shape == (0,)


@pytest.mark.parametrize("device", DEVICES)
def test_batched_nms_flat_interface_matches_torchvision(device):
    g = torch.Generator().manual_seed(4)
    n = 300 if device == "cuda" else 80
    boxes = _random_boxes(g, (n,)).to(device)
    scores = torch.rand(n, generator=g).to(device)
    labels = torch.randint(0, 5, (n,), generator=g).to(device)
    have = batched_nms(boxes, scores, labels, 0.5, backend="triton")
    want = tvops.batched_nms(boxes, scores, labels, 0.5)
    assert torch.equal(have, want)


@pytest.mark.cuda
def test_large_sets_on_cuda():
    g = torch.Generator().manual_seed(5)
    # one group of 100k boxes (many mask words per row), then 8 images x 5 levels of 2,000
    for shape, span in (((1, 100_000), 2000.0), ((40, 2000), 800.0)):
        boxes = _random_boxes(g, shape, span=span, side=120.0).cuda()
        scores = torch.rand(*shape, generator=g).cuda()
        valid = torch.ones(shape, dtype=torch.bool, device="cuda")
        _check_grouped(boxes, scores, valid, 0.7)


@pytest.mark.cuda
def test_auto_backend_uses_triton_on_cuda_and_makes_no_host_sync():
    g = torch.Generator().manual_seed(6)
    boxes = _random_boxes(g, (8, 1000)).cuda()
    scores = torch.rand(8, 1000, generator=g).cuda()
    grouped_nms(boxes, scores, 0.5)  # compile the kernels first
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        keep = grouped_nms(boxes, scores, 0.5)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    reference = grouped_nms(boxes, scores, 0.5, backend="torchvision")
    assert torch.equal(keep, reference)


def test_triton_kernels_under_the_interpreter():
    """Run this file's CPU cases with TRITON_INTERPRET=1 (Triton kernels on the CPU)."""
    pytest.importorskip("triton")
    assert_cpu_cases_pass_under_the_interpreter(__file__)

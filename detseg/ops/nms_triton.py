"""Exact greedy NMS for many groups at once, as two Triton kernels (the CUDA fast path).

``torchvision.ops.nms`` handles one set of boxes per call, and its greedy scan runs in one
thread block that visits every box in turn; a detector calls it once per image (and per level
or class), so on a GPU the scans run one after another. Here every group (an image, an
(image, level) or an (image, class) pair) is a row of a padded batch ``[G, N]``, and one
launch of each kernel serves all the rows in parallel, one Triton program per group.

The algorithm is torchvision's, so the kept boxes are the same:

1. ``_suppression_mask_kernel``: for boxes sorted by decreasing score, bit ``j`` of row ``i`` is
   set when ``j > i`` and ``IoU(i, j) > iou_threshold`` (IoU in float32 with an IEEE division,
   as torchvision's kernel computes it). Rows are packed in 32-bit words: ``[G, N, W]`` with
   ``W = ceil(N / 32)``.
2. ``_greedy_scan_kernel``: walks the sorted boxes of its group in tiles of 32. A box is kept
   when it is valid and no kept box before it has set its bit; the kept rows of a tile are then
   OR-ed into the running "removed" words of every later tile. Invalid boxes (padding, boxes
   below a score threshold) are never kept and suppress nothing, so a group may hold any number
   of real boxes without a host synchronisation to count them.

Only :func:`grouped_nms_keep_sorted` is meant to be called, by :mod:`detseg.ops.nms`, which
sorts the boxes and maps the result back. The kernels also run on CPU tensors under Triton's
interpreter (``TRITON_INTERPRET=1``), which is how the tests check them without a GPU.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

BITS = 32  # boxes per mask word
_ROWS_PER_PROGRAM = 32  # mask kernel: rows x (words x 32) columns per program
_WORDS_PER_PROGRAM = 4
_SCAN_WORDS = 64  # scan kernel: words OR-ed per inner step


@triton.jit
def _suppression_mask_kernel(  # type: ignore[no-untyped-def]  # triton types args by annotation
    boxes_ptr,  # float32 [G, N, 4], sorted by decreasing score in each group
    bound_ptr,  # int32 [G]: rows and columns from here on are never read
    mask_ptr,  # int32 [G, N, W], written here
    N,
    W,
    iou_threshold,
    ROWS: tl.constexpr,
    WORDS: tl.constexpr,
):
    group = tl.program_id(0)
    row_start = tl.program_id(1) * ROWS
    word_start = tl.program_id(2) * WORDS
    if (word_start + WORDS) * 32 - 1 <= row_start:
        return  # every column is at or before every row: nothing to suppress (never read)
    bound = tl.load(bound_ptr + group)
    if (row_start >= bound) | (word_start * 32 >= bound):
        return  # past the group's last valid box: never read
    rows = row_start + tl.arange(0, ROWS)
    cols = word_start * 32 + tl.arange(0, WORDS * 32)
    row_ok = rows < N
    col_ok = cols < N
    base = boxes_ptr + group * N * 4
    ax1 = tl.load(base + rows * 4 + 0, mask=row_ok, other=0.0)[:, None]
    ay1 = tl.load(base + rows * 4 + 1, mask=row_ok, other=0.0)[:, None]
    ax2 = tl.load(base + rows * 4 + 2, mask=row_ok, other=0.0)[:, None]
    ay2 = tl.load(base + rows * 4 + 3, mask=row_ok, other=0.0)[:, None]
    bx1 = tl.load(base + cols * 4 + 0, mask=col_ok, other=0.0)[None, :]
    by1 = tl.load(base + cols * 4 + 1, mask=col_ok, other=0.0)[None, :]
    bx2 = tl.load(base + cols * 4 + 2, mask=col_ok, other=0.0)[None, :]
    by2 = tl.load(base + cols * 4 + 3, mask=col_ok, other=0.0)[None, :]
    width = tl.maximum(tl.minimum(ax2, bx2) - tl.maximum(ax1, bx1), 0.0)
    height = tl.maximum(tl.minimum(ay2, by2) - tl.maximum(ay1, by1), 0.0)
    inter = width * height
    area_a = (ax2 - ax1) * (ay2 - ay1)
    area_b = (bx2 - bx1) * (by2 - by1)
    iou = tl.math.div_rn(inter, area_a + area_b - inter)
    suppress = (iou > iou_threshold) & (cols[None, :] > rows[:, None]) & col_ok[None, :]
    # pack 32 columns into one word: distinct powers of two, so their sum is their OR
    bit = (tl.arange(0, WORDS * 32) % 32)[None, :]
    values = suppress.to(tl.int32) << bit
    words = tl.sum(tl.reshape(values, (ROWS, WORDS, 32)), axis=2)
    word_idx = word_start + tl.arange(0, WORDS)
    out = mask_ptr + (group * N + rows[:, None]) * W + word_idx[None, :]
    tl.store(out, words, mask=row_ok[:, None] & (word_idx < W)[None, :])


@triton.jit
def _bitwise_or(a, b):  # type: ignore[no-untyped-def]  # triton types args by annotation
    return a | b


@triton.jit
def _greedy_scan_kernel(  # type: ignore[no-untyped-def]  # triton types args by annotation
    mask_ptr,  # int32 [G, N, W]
    valid_ptr,  # int8 [G, N], sorted like the boxes
    bound_ptr,  # int32 [G]: boxes to visit (past the last valid box nothing can be kept)
    removed_ptr,  # int32 [G, W], zeros: running OR of the rows of the kept boxes
    keep_ptr,  # int8 [G, N], written here
    N,
    W,
    SCAN_WORDS: tl.constexpr,
):
    group = tl.program_id(0)
    bound = tl.load(bound_ptr + group)
    lanes = tl.arange(0, 32)
    chunk = tl.arange(0, SCAN_WORDS)
    for tile in range(0, tl.cdiv(bound, 32)):
        rows = tile * 32 + lanes
        rows_ok = rows < bound
        row_ptrs = mask_ptr + (group * N + rows) * W
        removed = tl.load(removed_ptr + group * W + tile)
        kept = tl.zeros([], dtype=tl.int32)
        one = tl.full([], 1, dtype=tl.int32)
        # the 32 boxes of the tile, in order: only the diagonal word is needed here
        for b in tl.static_range(32):
            row = tile * 32 + b
            in_range = row < bound
            is_valid = tl.load(valid_ptr + group * N + row, mask=in_range, other=0) != 0
            diagonal = tl.load(mask_ptr + (group * N + row) * W + tile, mask=in_range, other=0)
            free = (((removed >> b) & 1) == 0) & is_valid
            removed = tl.where(free, removed | diagonal, removed)
            kept = tl.where(free, kept | (one << b), kept)
        kept_lanes = ((kept >> lanes) & 1) != 0
        tl.store(keep_ptr + group * N + rows, kept_lanes.to(tl.int8), mask=rows_ok)
        # later tiles: OR the kept rows into the running words, SCAN_WORDS words at a time
        for start in range(tile + 1, W, SCAN_WORDS):
            words = start + chunk
            block = tl.load(
                row_ptrs[:, None] + words[None, :],
                mask=kept_lanes[:, None] & (words < W)[None, :],
                other=0,
            )
            merged = tl.reduce(block, 0, _bitwise_or)
            previous = tl.load(removed_ptr + group * W + words, mask=words < W, other=0)
            tl.store(removed_ptr + group * W + words, previous | merged, mask=words < W)
        tl.debug_barrier()  # the next tile reads words stored by other threads


def grouped_nms_keep_sorted(boxes: Tensor, valid: Tensor, iou_threshold: float) -> Tensor:
    """Greedy NMS of every group of a padded batch, boxes already sorted by score.

    Args:
        boxes: ``Float[G, N, 4]`` xyxy, each row sorted by decreasing score (ties in the order
            torchvision's stable sort gives them).
        valid: Bool ``[G, N]``: the boxes that take part (others are never kept and suppress
            nothing).
        iou_threshold: a box is dropped when its IoU with a kept, higher-scoring box of its
            group is ``> iou_threshold``.

    Returns:
        Bool ``[G, N]``: the kept boxes, in the sorted order of the input.
    """
    groups, n = valid.shape
    keep = torch.zeros((groups, n), dtype=torch.int8, device=boxes.device)
    if groups == 0 or n == 0:
        return keep.bool()
    words = triton.cdiv(n, BITS)
    boxes = boxes.to(torch.float32).contiguous()
    positions = torch.arange(1, n + 1, dtype=torch.int32, device=boxes.device)
    bound = (valid.to(torch.int32) * positions).amax(dim=1).to(torch.int32)
    mask = torch.empty((groups, n, words), dtype=torch.int32, device=boxes.device)
    grid = (groups, triton.cdiv(n, _ROWS_PER_PROGRAM), triton.cdiv(words, _WORDS_PER_PROGRAM))
    _suppression_mask_kernel[grid](
        boxes,
        bound,
        mask,
        n,
        words,
        float(iou_threshold),
        ROWS=_ROWS_PER_PROGRAM,
        WORDS=_WORDS_PER_PROGRAM,
    )
    removed = torch.zeros((groups, words), dtype=torch.int32, device=boxes.device)
    _greedy_scan_kernel[(groups,)](
        mask,
        valid.to(torch.int8).contiguous(),
        bound,
        removed,
        keep,
        n,
        words,
        SCAN_WORDS=_SCAN_WORDS,
        num_warps=1,
    )
    return keep.bool()

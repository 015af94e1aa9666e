"""SegmentationLoss and the reduced-size targets against independent plain-torch references.

Random logits and masks of many small sizes (ignored pixels included, and batches where every
pixel is ignored): the cross-entropy must be ``F.cross_entropy(ignore_index=255)``, Dice the
documented ``1 - mean_c dice_c`` written out class by class, the auxiliary and deep-supervision
terms their documented weights; :func:`subsample_masks` must pick the label under each target
pixel's centre and :func:`area_targets` the class shares of the pixels each target pixel covers
(adaptive-pooling windows), written here as loops.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from detseg.segmentation.loss import SegmentationLoss, area_targets, subsample_masks

IGNORE = 255


def reference_dice(logits, masks, smooth=1.0):
    """``1 - mean_c (2 sum(p t) + s) / (sum(p) + sum(t) + s)`` over the non-ignored pixels."""
    probs = logits.double().softmax(dim=1)
    valid = masks != IGNORE
    scores = []
    for c in range(logits.shape[1]):
        target = ((masks == c) & valid).double()
        p = probs[:, c] * valid
        scores.append((2 * (p * target).sum() + smooth) / (p.sum() + target.sum() + smooth))
    return 1 - torch.stack(scores).mean()


def reference_ce(logits, masks):
    """``F.cross_entropy`` with ignored pixels; 0 when every pixel is ignored (no NaN)."""
    if not (masks != IGNORE).any():
        return torch.zeros((), dtype=torch.float64)
    return F.cross_entropy(logits.double(), masks, ignore_index=IGNORE)


def random_case(generator, all_ignored=False):
    b, c = (int(torch.randint(lo, hi, (), generator=generator)) for lo, hi in ((1, 4), (2, 6)))
    h, w = (int(torch.randint(1, 9, (), generator=generator)) for _ in range(2))
    logits = torch.randn(b, c, h, w, generator=generator)
    masks = torch.randint(0, c, (b, h, w), generator=generator)
    masks[torch.rand(b, h, w, generator=generator) < 0.3] = IGNORE
    if all_ignored:
        masks[:] = IGNORE
    return logits, masks


@pytest.mark.parametrize("kind", ["ce", "dice", "ce+dice"])
def test_loss_terms_equal_the_plain_torch_references(kind):
    generator = torch.Generator().manual_seed(0)
    loss = SegmentationLoss(kind=kind, aux_weight=0.3, dice_weight=0.7)
    parts = kind.split("+")
    for trial in range(24):
        logits, masks = random_case(generator, all_ignored=trial % 6 == 0)
        aux = torch.randn(logits.shape, generator=generator)
        out = loss(logits, masks, aux)
        assert set(out) == {"loss_aux"} | {"ce": {"loss_seg"}, "dice": {"loss_dice"}}.get(
            kind, {"loss_seg", "loss_dice"}
        )
        if "ce" in parts:
            torch.testing.assert_close(out["loss_seg"].double(), reference_ce(logits, masks))
        if "dice" in parts:
            torch.testing.assert_close(
                out["loss_dice"].double(), 0.7 * reference_dice(logits, masks)
            )
        torch.testing.assert_close(out["loss_aux"].double(), 0.3 * reference_ce(aux, masks))


def test_only_ignored_pixels_give_zero_losses_and_finite_gradients():
    logits = torch.randn(2, 3, 5, 4, requires_grad=True)
    masks = torch.full((2, 5, 4), IGNORE)
    out = SegmentationLoss(kind="ce+dice", boundary_weight=3.0)(logits, masks, logits * 2)
    total = sum(out.values())
    assert all(float(value.detach()) == 0.0 for value in out.values())
    total.backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("kind", ["ce", "dice", "ce+dice"])
def test_deep_supervision_weights_halve_from_the_finest_side(kind):
    generator = torch.Generator().manual_seed(1)
    logits, masks = random_case(generator)
    b, c = logits.shape[:2]
    deep = []
    for h, w in ((6, 5), (3, 3), (1, 2)):
        side_masks = torch.randint(0, c, (b, h, w), generator=generator)
        side_masks[0, 0, 0] = IGNORE
        deep.append((torch.randn(b, c, h, w, generator=generator), side_masks))
    out = SegmentationLoss(kind=kind, dice_weight=0.7)(logits, masks, None, deep)
    expected = torch.zeros((), dtype=torch.float64)
    for k, (side, side_masks) in enumerate(deep):
        term = torch.zeros((), dtype=torch.float64)
        if "ce" in kind.split("+"):
            term = term + reference_ce(side, side_masks)
        if "dice" in kind.split("+"):
            term = term + 0.7 * reference_dice(side, side_masks)
        expected = expected + 2.0 ** -(k + 1) * term
    torch.testing.assert_close(out["loss_deep"].double(), expected)


def padded_masks(generator):
    """Random masks ``[2, H, W]`` with ignored pixels, a padded size and a target size."""
    h, w = (int(torch.randint(3, 17, (), generator=generator)) for _ in range(2))
    masks = torch.randint(0, 4, (2, h, w), generator=generator)
    masks[torch.rand(2, h, w, generator=generator) < 0.2] = IGNORE
    ph, pw = (side + int(torch.randint(0, 5, (), generator=generator)) for side in (h, w))
    th, tw = (int(torch.randint(1, side + 1, (), generator=generator)) for side in (ph, pw))
    full = torch.full((2, ph, pw), IGNORE)
    full[:, :h, :w] = masks
    return masks, full, (ph, pw), (th, tw)


def test_subsample_masks_picks_the_label_under_each_target_pixel_centre():
    generator = torch.Generator().manual_seed(2)
    for _ in range(40):
        masks, full, (ph, pw), (th, tw) = padded_masks(generator)
        rows = [min(math.floor((i + 0.5) * ph / th), ph - 1) for i in range(th)]
        cols = [min(math.floor((j + 0.5) * pw / tw), pw - 1) for j in range(tw)]
        expected = full[:, rows][:, :, cols]
        assert torch.equal(subsample_masks(masks, (ph, pw), (th, tw)), expected)


def test_area_targets_are_the_class_shares_of_the_covered_pixels():
    generator = torch.Generator().manual_seed(3)
    for _ in range(30):
        masks, full, (ph, pw), (th, tw) = padded_masks(generator)
        soft = area_targets(masks, (ph, pw), (th, tw), num_logits=4)
        for i in range(th):
            for j in range(tw):
                # the window of adaptive average pooling: [floor(i P / t), ceil((i + 1) P / t))
                r0, r1 = i * ph // th, -(-(i + 1) * ph // th)
                c0, c1 = j * pw // tw, -(-(j + 1) * pw // tw)
                for b in range(2):
                    block = full[b, r0:r1, c0:c1].flatten()
                    labels = block[block != IGNORE]
                    assert math.isclose(
                        float(soft.valid[b, i, j]), labels.numel() / block.numel(), abs_tol=1e-6
                    )
                    if labels.numel():
                        shares = torch.bincount(labels, minlength=4).double() / labels.numel()
                        torch.testing.assert_close(soft.probs[b, :, i, j].double(), shares)

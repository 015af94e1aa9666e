"""Losses: written values, normalisation, empty inputs, and parity with the references."""

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.ops as tvops
from hypothesis import given, settings
from hypothesis import strategies as st

from detseg.losses import (
    boundary_weighted_cross_entropy,
    cross_entropy,
    dice_loss,
    giou_loss,
    label_boundaries,
    sigmoid_focal_loss,
    smooth_l1_loss,
    soft_cross_entropy,
    soft_dice_loss,
)

FAST = settings(max_examples=30, deadline=None)
SEEDS = st.integers(0, 2**16)


def _assert_exact_zero_with_grad(loss):
    assert loss.shape == () and loss.item() == 0.0
    assert loss.grad_fn is not None
    loss.backward()


# --- smooth L1 --------------------------------------------------------------------------


def test_smooth_l1_written_and_normalisation():
    pred = torch.tensor([0.0, 0.5, 2.0])
    target = torch.zeros(3)
    # beta = 1: 0, 0.5 * 0.25 = 0.125, 2 - 0.5 = 1.5
    assert smooth_l1_loss(pred, target, beta=1.0, reduction="none").tolist() == [0.0, 0.125, 1.5]
    assert smooth_l1_loss(pred, target, beta=1.0).item() == pytest.approx(1.625)  # default sum
    assert smooth_l1_loss(pred, target, beta=1.0, reduction="mean").item() == pytest.approx(
        1.625 / 3
    )
    assert smooth_l1_loss(pred, target, beta=0.0).item() == pytest.approx(2.5)  # plain L1


@FAST
@given(SEEDS, st.sampled_from([0.0, 1 / 9, 1.0, 2.5]), st.sampled_from(["none", "sum", "mean"]))
def test_smooth_l1_matches_torch(seed, beta, reduction):
    g = torch.Generator().manual_seed(seed)
    pred, target = torch.randn(2, 17, 4, generator=g)
    ours = smooth_l1_loss(pred, target, beta=beta, reduction=reduction)
    torch.testing.assert_close(ours, F.smooth_l1_loss(pred, target, beta=beta, reduction=reduction))


# --- cross-entropy ----------------------------------------------------------------------


def test_cross_entropy_written_and_ignore():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0], [5.0, -5.0]])
    target = torch.tensor([0, 0, -100])
    # -log(1/2) and -log(3/4); the third is ignored and not counted in the mean
    expected = (math.log(2.0) + math.log(4 / 3)) / 2
    assert cross_entropy(logits, target).item() == pytest.approx(expected)
    assert cross_entropy(logits, target, reduction="sum").item() == pytest.approx(2 * expected)


@FAST
@given(SEEDS, st.sampled_from(["none", "sum", "mean"]))
def test_cross_entropy_matches_torch_dense(seed, reduction):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 5, 6, 7, generator=g)
    target = torch.randint(0, 5, (2, 6, 7), generator=g)
    target[0, :3] = 255
    ours = cross_entropy(logits, target, ignore_index=255, reduction=reduction)
    ref = F.cross_entropy(logits, target, ignore_index=255, reduction=reduction)
    torch.testing.assert_close(ours, ref)


def test_cross_entropy_all_ignored_or_empty_is_zero():
    logits = torch.randn(4, 3, requires_grad=True)
    _assert_exact_zero_with_grad(cross_entropy(logits, torch.full((4,), -100)))
    empty = torch.zeros(0, 3, requires_grad=True)
    _assert_exact_zero_with_grad(cross_entropy(empty, torch.zeros(0, dtype=torch.int64)))


def test_weighted_cross_entropies_with_no_weight_are_zero_with_a_zero_gradient():
    """Every pixel ignored (boundary-weighted) or of weight 0 (soft targets): the loss is 0 and
    its gradient 0, not NaN, without a branch on the host."""
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    ignored = torch.full((1, 4, 4), 255)
    losses = [
        boundary_weighted_cross_entropy(logits, ignored, boundary_weight=3.0),
        soft_cross_entropy(logits, logits.detach().softmax(1), torch.zeros(1, 4, 4), 2.0),
    ]
    for loss in losses:
        assert loss.shape == () and loss.item() == 0.0
        (grad,) = torch.autograd.grad(loss, logits)
        assert torch.equal(grad, torch.zeros_like(grad))


# --- focal ------------------------------------------------------------------------------


def test_focal_written_value():
    # logit 0 -> p = 0.5; positive: 0.25 * 0.5**2 * log 2; negative: 0.75 * 0.5**2 * log 2
    loss = sigmoid_focal_loss(torch.zeros(2), torch.tensor([1.0, 0.0]), reduction="none")
    torch.testing.assert_close(loss, torch.tensor([0.0625, 0.1875]) * math.log(2.0))
    assert sigmoid_focal_loss(torch.zeros(2), torch.tensor([1.0, 0.0])).item() == pytest.approx(
        0.25 * math.log(2.0)
    )


@FAST
@given(SEEDS, st.sampled_from([0.25, 0.5, -1.0]), st.sampled_from([0.0, 2.0, 1.5]))
def test_focal_matches_torchvision(seed, alpha, gamma):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(30, 7, generator=g) * 3
    targets = (torch.rand(30, 7, generator=g) < 0.2).float()
    for reduction in ("none", "sum", "mean"):
        ours = sigmoid_focal_loss(logits, targets, alpha, gamma, reduction)
        ref = tvops.sigmoid_focal_loss(logits, targets, alpha, gamma, reduction)
        torch.testing.assert_close(ours, ref)


# --- GIoU -------------------------------------------------------------------------------


def test_giou_loss_written():
    pred = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]])
    target = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    # identical -> 0; disjoint: giou = 0 - (300 - 200) / 300 -> loss 4 / 3
    loss = giou_loss(pred, target, reduction="none")
    torch.testing.assert_close(loss, torch.tensor([0.0, 4 / 3]))
    torch.testing.assert_close(giou_loss(pred, target), torch.tensor(4 / 3))


@st.composite
def box_pairs(draw):
    g = torch.Generator().manual_seed(draw(SEEDS))
    n = draw(st.integers(1, 20))
    xy = torch.rand(2, n, 2, generator=g) * 50
    return torch.cat([xy, xy + torch.rand(2, n, 2, generator=g) * 30 + 0.5], dim=-1)


@FAST
@given(box_pairs(), st.sampled_from(["none", "sum", "mean"]))
def test_giou_loss_matches_torchvision(pairs, reduction):
    pred, target = pairs
    ours = giou_loss(pred, target, reduction=reduction)
    torch.testing.assert_close(ours, tvops.generalized_box_iou_loss(pred, target, reduction))


# --- Dice -------------------------------------------------------------------------------


def test_dice_written_value():
    # 2 classes, 1 x 1 x 2 image; huge logits make the softmax one-hot
    logits = torch.tensor([[[[20.0, -20.0]], [[-20.0, 20.0]]]])  # predicts [0, 1]
    perfect = dice_loss(logits, torch.tensor([[[0, 1]]]))
    assert perfect.item() == pytest.approx(0.0, abs=1e-6)
    # target [0, 0]: class 0 -> (2 * 1 + 1) / (1 + 2 + 1) = 3 / 4; class 1 -> 1 / (1 + 0 + 1)
    wrong = dice_loss(logits, torch.tensor([[[0, 0]]]))
    assert wrong.item() == pytest.approx(1 - (0.75 + 0.5) / 2, abs=1e-6)
    # ignoring the wrong pixel leaves a perfect prediction of class 0, class 1 absent
    ignored = dice_loss(logits, torch.tensor([[[0, 255]]]))
    assert ignored.item() == pytest.approx(0.0, abs=1e-6)


def test_dice_all_ignored_and_empty_give_zero():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    _assert_exact_zero_with_grad(dice_loss(logits, torch.full((2, 4, 4), 255)))
    empty = torch.zeros(0, 3, 4, 4, requires_grad=True)
    _assert_exact_zero_with_grad(dice_loss(empty, torch.zeros(0, 4, 4, dtype=torch.int64)))


# --- empty inputs and argument checks for the box losses --------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda p: smooth_l1_loss(p, torch.zeros(0, 4)),
        lambda p: smooth_l1_loss(p, torch.zeros(0, 4), reduction="mean"),
        lambda p: giou_loss(p, torch.zeros(0, 4)),
        lambda p: giou_loss(p, torch.zeros(0, 4), reduction="mean"),
        lambda p: sigmoid_focal_loss(p, torch.zeros(0, 4)),
        lambda p: sigmoid_focal_loss(p, torch.zeros(0, 4), reduction="mean"),
    ],
)
def test_empty_inputs_give_exact_zero_with_grad(fn):
    pred = torch.zeros(0, 4, requires_grad=True)
    _assert_exact_zero_with_grad(fn(pred))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="reduction"):
        smooth_l1_loss(torch.zeros(2), torch.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="same shape"):
        giou_loss(torch.zeros(2, 4), torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"\[B, H, W\]"):
        dice_loss(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="alpha"):
        sigmoid_focal_loss(torch.zeros(2), torch.zeros(2), alpha=1.5)


# --- label borders and the boundary-weighted cross-entropy --------------------------------


def test_label_boundaries_written():
    target = torch.tensor(
        [
            [
                [0, 0, 0, 0, 0],
                [0, 1, 1, 0, 0],
                [0, 1, 1, 0, 255],
                [0, 0, 0, 0, 255],
            ]
        ]
    )
    want = torch.tensor(
        [
            [
                [0, 1, 1, 0, 0],
                [1, 1, 1, 1, 0],
                [1, 1, 1, 1, 0],
                [0, 1, 1, 0, 0],
            ]
        ],
        dtype=torch.bool,
    )  # both sides of the 0/1 border; the ignored column makes no border and is none
    assert torch.equal(label_boundaries(target), want)
    assert not label_boundaries(torch.zeros(2, 3, 3, dtype=torch.int64)).any()
    with pytest.raises(ValueError, match="B, H, W"):
        label_boundaries(torch.zeros(3, 3, dtype=torch.int64))


@FAST
@given(SEEDS, st.sampled_from([0.5, 1.0, 3.0]))
def test_boundary_weighted_cross_entropy_by_hand(seed, weight):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 4, 6, 5, generator=g, dtype=torch.float64)
    target = torch.randint(0, 4, (2, 6, 5), generator=g)
    target[0, :2, :2] = 255
    border = label_boundaries(target)
    num, den = 0.0, 0.0
    for b in range(2):
        for i in range(6):
            for j in range(5):
                t = int(target[b, i, j])
                if t == 255:
                    continue
                w = weight if border[b, i, j] else 1.0
                num += w * float(-torch.log_softmax(logits[b, :, i, j], 0)[t])
                den += w
    got = boundary_weighted_cross_entropy(logits, target, weight)
    assert got.item() == pytest.approx(num / den, rel=1e-12)
    if weight == 1.0:
        torch.testing.assert_close(got, cross_entropy(logits, target, ignore_index=255))


def test_boundary_weighted_cross_entropy_edges():
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    _assert_exact_zero_with_grad(
        boundary_weighted_cross_entropy(logits, torch.full((1, 4, 4), 255), 3.0)
    )
    with pytest.raises(ValueError, match="boundary_weight"):
        boundary_weighted_cross_entropy(logits, torch.zeros(1, 4, 4, dtype=torch.int64), 0.0)
    with pytest.raises(ValueError, match="target"):
        boundary_weighted_cross_entropy(logits, torch.zeros(1, 4, 5, dtype=torch.int64), 2.0)


# --- soft targets (class fractions of area-downsampled masks) ------------------------------


def _one_hot_targets(target, num_classes):
    valid = target != 255
    labels = torch.where(valid, target, torch.zeros_like(target))
    probs = F.one_hot(labels, num_classes).permute(0, 3, 1, 2).to(torch.float64)
    return probs, valid.to(torch.float64)


@FAST
@given(SEEDS)
def test_soft_losses_with_one_hot_targets_equal_the_hard_ones(seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 4, 5, 6, generator=g, dtype=torch.float64)
    target = torch.randint(0, 4, (2, 5, 6), generator=g)
    target[1, 3:] = 255
    probs, valid = _one_hot_targets(target, 4)
    torch.testing.assert_close(
        soft_cross_entropy(logits, probs, valid), cross_entropy(logits, target, ignore_index=255)
    )
    torch.testing.assert_close(soft_dice_loss(logits, probs, valid), dice_loss(logits, target))


def test_soft_cross_entropy_and_dice_by_hand():
    logits = torch.tensor([[[[0.0, 2.0]], [[1.0, -1.0]]]], dtype=torch.float64)  # [1, 2, 1, 2]
    probs = torch.tensor([[[[0.25, 1.0]], [[0.75, 0.0]]]], dtype=torch.float64)
    weights = torch.tensor([[[0.5, 1.0]]], dtype=torch.float64)
    log_p = logits.log_softmax(dim=1)
    ce0 = -(0.25 * log_p[0, 0, 0, 0] + 0.75 * log_p[0, 1, 0, 0])  # mixed pixel
    ce1 = -log_p[0, 0, 0, 1]
    want = (0.5 * ce0 + 1.0 * ce1) / 1.5
    assert soft_cross_entropy(logits, probs, weights).item() == pytest.approx(want.item())
    # boundary_weight 3 applies to the mixed pixel only: weight 0.5 * 3
    want3 = (1.5 * ce0 + 1.0 * ce1) / 2.5
    got3 = soft_cross_entropy(logits, probs, weights, boundary_weight=3.0)
    assert got3.item() == pytest.approx(want3.item())
    p = logits.softmax(dim=1)
    dice = []
    for c in range(2):
        inter = (weights[0, 0] * p[0, c, 0] * probs[0, c, 0]).sum()
        denom = (weights[0, 0] * p[0, c, 0]).sum() + (weights[0, 0] * probs[0, c, 0]).sum()
        dice.append((2 * inter + 1) / (denom + 1))
    want_dice = 1 - (dice[0] + dice[1]) / 2
    assert soft_dice_loss(logits, probs, weights).item() == pytest.approx(want_dice.item())


def test_soft_losses_edges():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    probs = torch.full((1, 3, 2, 2), 1 / 3)
    _assert_exact_zero_with_grad(soft_cross_entropy(logits, probs, torch.zeros(1, 2, 2)))
    with pytest.raises(ValueError, match="target_probs"):
        soft_cross_entropy(logits, probs[:, :2], torch.ones(1, 2, 2))
    with pytest.raises(ValueError, match="weights"):
        soft_dice_loss(logits, probs, torch.ones(1, 2, 3))
    with pytest.raises(ValueError, match="boundary_weight"):
        soft_cross_entropy(logits, probs, torch.ones(1, 2, 2), boundary_weight=-1.0)

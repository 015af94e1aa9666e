"""Matcher, BalancedSampler and hard negative mining: written cases and torchvision parity."""

import pytest
import torch
from torchvision.models.detection._utils import BalancedPositiveNegativeSampler as TVSampler
from torchvision.models.detection._utils import Matcher as TVMatcher

from detseg.ops import BalancedSampler, Matcher, hard_negative_mining

BELOW, BETWEEN = Matcher.BELOW_LOW_THRESHOLD, Matcher.BETWEEN_THRESHOLDS

# 3 gts x 6 predictions
IOU = torch.tensor(
    [
        [0.90, 0.20, 0.50, 0.10, 0.00, 0.70],
        [0.10, 0.30, 0.60, 0.20, 0.00, 0.00],
        [0.00, 0.35, 0.10, 0.35, 0.00, 0.30],
    ]
)


def test_codes_match_torchvision():
    assert (BELOW, BETWEEN) == (-1, -2)
    assert (BELOW, BETWEEN) == (TVMatcher.BELOW_LOW_THRESHOLD, TVMatcher.BETWEEN_THRESHOLDS)


def test_thresholds_on_written_matrix():
    matches = Matcher(0.7, 0.3)(IOU)
    # pred0: 0.9 -> gt0; pred1: 0.35 -> between; pred2: 0.6 -> between; pred3: 0.35 -> between
    # pred4: 0.0 -> below; pred5: 0.7 == high -> gt0 (high threshold is inclusive)
    assert matches.tolist() == [0, BETWEEN, BETWEEN, BETWEEN, BELOW, 0]
    assert matches.dtype == torch.int64
    # low threshold is inclusive for BETWEEN: 0.3 with thresholds (0.5, 0.3) is BETWEEN
    assert Matcher(0.5, 0.3)(torch.tensor([[0.3, 0.29]])).tolist() == [BETWEEN, BELOW]


def test_low_quality_matches_on_written_matrix():
    matches = Matcher(0.7, 0.3, allow_low_quality_matches=True)(IOU)
    # gt0's best is pred0 (0.9); gt1's best is pred2 (0.6); gt2's best is a tie 0.35 at
    # pred1 and pred3: all of them get their own best gt back.
    assert matches.tolist() == [0, 2, 1, 2, BELOW, 0]


def test_low_quality_uses_the_predictions_own_best_gt():
    # gt1's best prediction is pred0 (0.4), but pred0's best gt is gt0 (0.5): pred0 goes to
    # gt0 and gt1 ends up without any match; pred1 (0.1) is nobody's best and stays BELOW.
    iou = torch.tensor([[0.5, 0.0], [0.4, 0.1]])
    assert Matcher(0.7, 0.3, allow_low_quality_matches=True)(iou).tolist() == [0, BELOW]


def test_equal_thresholds_have_no_between():
    assert Matcher(0.5, 0.5)(torch.tensor([[0.49, 0.5, 0.51]])).tolist() == [BELOW, 0, 0]


def test_empty_gt_and_empty_predictions():
    assert Matcher(0.7, 0.3)(torch.zeros(0, 4)).tolist() == [BELOW] * 4
    assert Matcher(0.7, 0.3, True)(torch.zeros(0, 4)).tolist() == [BELOW] * 4
    out = Matcher(0.7, 0.3)(torch.zeros(3, 0))
    assert out.shape == (0,) and out.dtype == torch.int64


def test_matcher_bad_inputs():
    with pytest.raises(ValueError, match="low_threshold"):
        Matcher(0.3, 0.7)
    with pytest.raises(ValueError, match="num_gt, num_pred"):
        Matcher(0.7, 0.3)(torch.zeros(5))


@pytest.mark.parametrize("allow_low", [False, True])
@pytest.mark.parametrize(("high", "low"), [(0.7, 0.3), (0.5, 0.4), (0.5, 0.5)])
def test_matcher_parity_with_torchvision(high, low, allow_low):
    g = torch.Generator().manual_seed(0)
    for trial in range(20):
        num_gt, num_pred = 1 + trial % 5, 50 + trial
        iou = torch.rand(num_gt, num_pred, generator=g)
        iou = torch.where(iou < 0.5, torch.zeros_like(iou), iou)  # many zero rows/ties
        if trial % 2:
            iou = (iou * 10).round() / 10  # coarse values: ties and threshold equalities
        if trial % 7 == 3:
            iou[0] = 0.0  # a gt that overlaps nothing
        ours = Matcher(high, low, allow_low)(iou)
        theirs = TVMatcher(high, low, allow_low)(iou)
        assert torch.equal(ours, theirs)


def test_sampler_counts_and_fraction():
    labels = torch.cat([torch.ones(10), torch.zeros(100), -torch.ones(50)]).long()
    labels[:5] = 3  # any positive label counts
    pos, neg = BalancedSampler(32, 0.25)([labels])
    assert pos[0].dtype == torch.bool and pos[0].shape == labels.shape
    assert int(pos[0].sum()) == 8 and int(neg[0].sum()) == 24
    assert bool((labels[pos[0]] > 0).all()) and bool((labels[neg[0]] == 0).all())
    assert not bool((pos[0] & neg[0]).any())


def test_sampler_short_of_positives_or_negatives():
    few_pos = torch.tensor([1, 1, 1] + [0] * 100 + [-1] * 10)
    pos, neg = BalancedSampler(32, 0.25)([few_pos])
    assert (int(pos[0].sum()), int(neg[0].sum())) == (3, 29)
    few_neg = torch.tensor([1] * 40 + [0] * 5 + [-1] * 10)
    pos, neg = BalancedSampler(32, 0.5)([few_neg])
    assert (int(pos[0].sum()), int(neg[0].sum())) == (16, 5)
    pos, neg = BalancedSampler(32, 0.5)([torch.zeros(0, dtype=torch.long)])
    assert pos[0].shape == (0,) and neg[0].shape == (0,)


def test_sampler_reproducible_and_equal_to_torchvision():
    g = torch.Generator().manual_seed(0)
    labels = [torch.randint(-1, 3, (300,), generator=g) for _ in range(3)]
    torch.manual_seed(123)
    pos1, neg1 = BalancedSampler(64, 0.25)(labels)
    torch.manual_seed(123)
    pos2, neg2 = BalancedSampler(64, 0.25)(labels)
    torch.manual_seed(123)
    tv_pos, tv_neg = TVSampler(64, 0.25)(labels)
    for a, b, c in zip(pos1 + neg1, pos2 + neg2, tv_pos + tv_neg, strict=True):
        assert torch.equal(a, b)
        assert torch.equal(a, c.bool())


def test_sampler_bad_arguments():
    with pytest.raises(ValueError, match="positive_fraction"):
        BalancedSampler(256, 1.5)
    with pytest.raises(ValueError, match="batch_size_per_image"):
        BalancedSampler(0, 0.5)


def test_hard_negative_mining_written():
    loss = torch.tensor(
        [
            [0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.05],
            [0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.05],
            [0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.05],
        ]
    )
    positive = torch.zeros(3, 8, dtype=torch.bool)
    positive[0, 1] = True  # 1 positive -> 3 negatives: losses 0.8, 0.7, 0.5
    positive[2, :6] = True  # 6 positives -> quota 18 > 2 negatives: both, never a positive
    negatives = hard_negative_mining(loss, positive)
    assert negatives[0].nonzero().flatten().tolist() == [2, 4, 6]
    assert not negatives[1].any()  # no positive, no negative
    assert negatives[2].nonzero().flatten().tolist() == [6, 7]
    assert hard_negative_mining(loss, positive, neg_pos_ratio=1)[
        0
    ].nonzero().flatten().tolist() == [4]


def test_hard_negative_mining_matches_ssd_reference():
    g = torch.Generator().manual_seed(0)
    loss = torch.rand(4, 500, generator=g)
    positive = torch.rand(4, 500, generator=g) < 0.05
    # torchvision SSD's selection (valid while the quota is below the number of negatives)
    num_negative = 3.0 * positive.sum(1, keepdim=True)
    masked = loss.clone()
    masked[positive] = -float("inf")
    _, idx = masked.sort(1, descending=True)
    expected = idx.sort(1)[1] < num_negative
    got = hard_negative_mining(loss, positive)
    assert torch.equal(got, expected)
    assert torch.equal(got.sum(1), 3 * positive.sum(1))


def test_batched_matcher_equals_per_image_matching():
    g = torch.Generator().manual_seed(2)
    ious = [torch.rand(m, 40, generator=g) for m in (3, 0, 5)]
    padded = torch.full((3, 5, 40), 0.0)
    valid = torch.zeros(3, 5, dtype=torch.bool)
    for i, iou in enumerate(ious):
        padded[i, : len(iou)] = iou
        valid[i, : len(iou)] = True
    for allow_low in (False, True):
        matcher = Matcher(0.7, 0.3, allow_low_quality_matches=allow_low)
        batched = matcher(padded, valid)
        for i, iou in enumerate(ious):
            assert torch.equal(batched[i], matcher(iou)), (allow_low, i)


def test_sampler_key_draw_counts_and_fraction():
    labels = torch.stack(
        [
            torch.cat([torch.ones(10), torch.zeros(100), -torch.ones(50)]),  # enough of both
            torch.cat([torch.ones(3), torch.zeros(100), -torch.ones(57)]),  # few positives
            torch.cat([torch.ones(40), torch.zeros(5), -torch.ones(115)]),  # few negatives
        ]
    ).long()
    pos, neg = BalancedSampler(32, 0.25).sample_with_keys(labels)
    assert pos.shape == neg.shape == labels.shape and pos.dtype == torch.bool
    assert pos.sum(1).tolist() == [8, 3, 8] and neg.sum(1).tolist() == [24, 29, 5]
    assert bool((labels[pos] > 0).all()) and bool((labels[neg] == 0).all())
    assert not bool((pos & neg).any())


def test_sampler_key_draw_is_uniform():
    # 20 positives, 5 drawn per round: each should be drawn in ~25 % of 2,000 rounds
    labels = torch.cat([torch.ones(20), torch.zeros(200)]).long()[None].expand(2000, -1)
    torch.manual_seed(0)
    pos, neg = BalancedSampler(20, 0.25).sample_with_keys(labels)
    rate = pos[:, :20].float().mean(0)
    assert float(rate.min()) > 0.21 and float(rate.max()) < 0.29
    neg_rate = neg[:, 20:].float().mean(0)  # 15 of 200 negatives: 7.5 %
    assert float(neg_rate.min()) > 0.04 and float(neg_rate.max()) < 0.11

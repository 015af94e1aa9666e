"""RPN and RoI heads: hand-computed pieces and parity of the poolers with torchvision.ops."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import MultiScaleRoIAlign, roi_pool

from detseg.detection.fast_rcnn_heads import FastRCNNMLPHead, FastRCNNPredictor
from detseg.detection.fast_rcnn_loss import fast_rcnn_loss
from detseg.detection.roi_heads import RoIHeads, RoIHeadsConfig
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.rpn import RegionProposalNetwork, RPNConfig, RPNHead, flatten_predictions
from detseg.detection.transform import ImageBatch
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.boxes import box_iou


def test_flatten_predictions_follows_anchor_order():
    # level 0: A=2 on a 1x2 map; value encodes (anchor, x) so the order can be read back
    logits = torch.tensor([[[[0.0, 1.0]], [[10.0, 11.0]]]])  # [1, A=2, 1, 2]
    deltas = torch.arange(16.0).view(1, 8, 1, 2)  # [1, A*4, 1, 2]
    flat_logits, flat_deltas, counts = flatten_predictions([logits], [deltas])
    assert counts == [4]
    # order y -> x -> anchor: (x0,a0), (x0,a1), (x1,a0), (x1,a1)
    assert flat_logits.tolist() == [[0.0, 10.0, 1.0, 11.0]]
    assert flat_deltas[0, 1].tolist() == [8.0, 10.0, 12.0, 14.0]  # anchor 1 at x0


@pytest.mark.parametrize(
    "side,level",
    [(224, 2), (223, 1), (112, 1), (111.9, 0), (16, 0), (448, 3), (5000, 3)],
)
def test_level_mapping_by_hand(side, level):
    # k = floor(4 + log2(side / 224)), clamped to 2..5 -> index k - 2
    pooler = RoIPooler(["p2", "p3", "p4", "p5"], [4, 8, 16, 32])
    boxes = torch.tensor([[0.0, 0.0, side, side]])
    assert pooler.map_levels(boxes).tolist() == [level]


def test_multiscale_roi_align_matches_torchvision():
    torch.manual_seed(0)
    names = ["p2", "p3", "p4", "p5"]
    features = OrderedDict(
        (name, torch.rand(2, 4, 640 // s, 512 // s))
        for name, s in zip(names, [4, 8, 16, 32], strict=True)
    )
    xy = torch.rand(2, 30, 2) * torch.tensor([200.0, 300.0])
    wh = torch.rand(2, 30, 2) ** 2 * 500 + 4
    big = torch.tensor([[0.0, 0.0, 500.0, 600.0], [10.0, 30.0, 490.0, 530.0]])
    boxes = [torch.cat([torch.cat([xy[i], xy[i] + wh[i]], dim=1), big]) for i in range(2)]
    ours = RoIPooler(names, [4, 8, 16, 32], output_size=7, kind="align", sampling_ratio=2)
    theirs = MultiScaleRoIAlign(names, 7, 2)
    want = theirs(features, boxes, [(640, 512), (600, 500)])
    got = ours(features, boxes)
    assert len(set(ours.map_levels(torch.cat(boxes)).tolist())) == 4  # every level used
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_multiscale_roi_align_gradients_match_torchvision():
    # each level's rows are put back in RoI order, and read back from the gradient, by index
    names = ["p2", "p3", "p4", "p5"]
    boxes = [
        torch.tensor([[0.0, 0.0, 250.0, 300.0], [5.0, 5.0, 20.0, 30.0], [10.0, 0.0, 150.0, 120.0]]),
        torch.tensor([[30.0, 40.0, 40.0, 45.0], [0.0, 0.0, 500.0, 600.0]]),
    ]
    ours = RoIPooler(names, [4, 8, 16, 32], output_size=7, kind="align", sampling_ratio=2)
    assert len(set(ours.map_levels(torch.cat(boxes)).tolist())) == 4  # every level used
    weight = torch.rand(5, 3, 7, 7, generator=torch.Generator().manual_seed(1))

    def feature_grads(pool) -> list[torch.Tensor]:
        generator = torch.Generator().manual_seed(0)
        features = OrderedDict(
            (name, torch.rand(2, 3, 640 // s, 512 // s, generator=generator, requires_grad=True))
            for name, s in zip(names, [4, 8, 16, 32], strict=True)
        )
        (pool(features) * weight).sum().backward()
        return [f.grad for f in features.values()]

    theirs = MultiScaleRoIAlign(names, 7, 2)
    want = feature_grads(lambda features: theirs(features, boxes, [(640, 512)] * 2))
    got = feature_grads(lambda features: ours(features, boxes))
    for have, expected in zip(got, want, strict=True):
        assert have is not None and expected is not None and expected.abs().sum() > 0
        torch.testing.assert_close(have, expected, atol=1e-6, rtol=0)


def test_single_level_roi_pool_matches_torchvision():
    torch.manual_seed(0)
    feature = torch.rand(1, 4, 10, 12)
    boxes = [torch.tensor([[0.0, 0.0, 100.0, 60.0], [30.0, 20.0, 50.0, 150.0]])]
    got = RoIPooler(["c5"], [16], output_size=7, kind="pool")(OrderedDict(c5=feature), boxes)
    rois = torch.cat([torch.zeros(2, 1), boxes[0]], dim=1)
    torch.testing.assert_close(got, roi_pool(feature, rois, 7, 1 / 16))


def test_pooler_rejects_unknown_kind():
    with pytest.raises(ValueError, match="pooler kind 'max'"):
        RoIPooler(["c5"], [16], kind="max")


def _rpn(**config) -> RegionProposalNetwork:
    torch.manual_seed(0)
    generator = AnchorGenerator(((16, 32),), ((0.5, 1.0, 2.0),))
    return RegionProposalNetwork(generator, RPNHead(4, 6), RPNConfig(**config))


def test_rpn_output_and_empty_target_losses():
    rpn = _rpn(post_nms_top_n_test=7).eval()
    batch = ImageBatch(torch.zeros(2, 3, 64, 64), [(64, 60), (50, 64)])
    features = OrderedDict(c5=torch.rand(2, 4, 8, 8))
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    proposals, losses = rpn(batch, features, [empty, empty])
    assert proposals.boxes.shape[0] == 2 and proposals.boxes.shape[2] == 4
    proposals = proposals.per_image()
    assert all(p.shape[0] <= 7 for p in proposals)
    for boxes, (h, w) in zip(proposals, batch.image_sizes, strict=True):
        assert boxes[:, 2].max() <= w and boxes[:, 3].max() <= h
    assert losses["loss_rpn_box"].item() == 0.0
    # every sampled anchor is negative: BCE with target 0 on sampled logits, all >= log(2)*0
    assert torch.isfinite(losses["loss_rpn_cls"]) and losses["loss_rpn_cls"] > 0


def test_rpn_score_threshold_of_one_drops_every_proposal():
    rpn = _rpn(score_thresh=1.0).eval()  # random weights: every objectness is below 1
    batch = ImageBatch(torch.zeros(1, 3, 64, 64), [(64, 64)])
    proposals, losses = rpn(batch, OrderedDict(c5=torch.rand(1, 4, 8, 8)))
    assert proposals.per_image()[0].shape == (0, 4) and losses == {}


def test_rpn_rejects_mismatched_anchors():
    generator = AnchorGenerator(((16, 32),), ((0.5, 1.0, 2.0),))
    with pytest.raises(ValueError, match="anchors per location"):
        RegionProposalNetwork(generator, RPNHead(4, 3))


def test_fast_rcnn_loss_by_hand():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    deltas = torch.zeros(2, 12)
    deltas[1, 4:8] = torch.tensor([0.5, 0.0, 0.0, 0.0])  # class 1 of RoI 1
    labels = torch.tensor([0, 1])
    targets = torch.tensor([[9.0, 9.0, 9.0, 9.0], [0.0, 0.0, 0.0, 0.0]])
    losses = fast_rcnn_loss(logits, deltas, labels, targets)
    torch.testing.assert_close(losses["loss_roi_cls"], F.cross_entropy(logits, labels))
    # smooth-L1, beta 1/9: |0.5| >= beta -> 0.5 - beta / 2; divided by 2 sampled RoIs
    torch.testing.assert_close(losses["loss_roi_box"], torch.tensor((0.5 - 1 / 18) / 2))


def test_fast_rcnn_box_loss_is_exactly_zero_without_foreground():
    logits = torch.randn(3, 4, requires_grad=True)
    deltas = torch.randn(3, 16, requires_grad=True)
    losses = fast_rcnn_loss(logits, deltas, torch.zeros(3, dtype=torch.int64), torch.zeros(3, 4))
    assert losses["loss_roi_box"].item() == 0.0
    losses["loss_roi_box"].backward()
    assert deltas.grad is not None and torch.all(deltas.grad == 0)


def test_roi_heads_config_defaults_are_torchvision_defaults():
    config = RoIHeadsConfig()
    assert (config.fg_iou_thresh, config.bg_iou_thresh) == (0.5, 0.5)
    assert (config.batch_size_per_image, config.positive_fraction) == (512, 0.25)
    assert config.bbox_reg_weights == (10.0, 10.0, 5.0, 5.0)


def test_sample_returns_the_gt_each_foreground_roi_was_matched_to():
    config = RoIHeadsConfig(batch_size_per_image=24, positive_fraction=0.5)
    heads = RoIHeads(
        RoIPooler(["p2"], [4]), FastRCNNMLPHead(4 * 49, 8), FastRCNNPredictor(8, 6), config
    )
    generator = torch.Generator().manual_seed(0)
    gt = torch.tensor([[10.0, 10.0, 60.0, 50.0], [40.0, 30.0, 120.0, 110.0], [0, 70, 30, 126]])
    # proposals jittered around the gt boxes (many foreground), and random ones
    jittered = gt.repeat(6, 1) + torch.randn(18, 4, generator=generator) * 6
    xy = torch.rand(20, 2, generator=generator) * 100
    proposals = [
        torch.cat(
            [jittered, torch.cat([xy, xy + 4 + torch.rand(20, 2, generator=generator) * 40], 1)]
        ),
        torch.cat([xy, xy + 10], 1),
    ]
    targets = [
        {"boxes": gt, "labels": torch.tensor([5, 2, 4])},  # distinct labels name the gt
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    torch.manual_seed(0)
    sample = heads.sample(proposals, targets)
    assert sample.matched_gt.shape == sample.labels.shape and sample.matched_gt.dtype == torch.int64
    foreground = sample.labels[0] > 0
    assert 3 <= int(foreground.sum()) <= 12
    matched = sample.matched_gt[0][foreground]
    assert torch.equal(targets[0]["labels"][matched], sample.labels[0][foreground])
    iou = box_iou(sample.rois[0][foreground], gt)  # [F, 3]
    assert torch.equal(iou.argmax(dim=1), matched) and (iou.max(dim=1).values >= 0.5).all()
    assert (sample.matched_gt[0][~foreground] == 0).all()
    assert not (sample.labels[1] > 0).any() and (sample.matched_gt[1] == 0).all()


def test_padded_proposal_path_detects_what_the_cpu_path_detects(monkeypatch):
    """The GPU's path (proposals cut and pooled padded, no count read on the host) forced on
    the CPU gives the CPU path's detections. The RoIs come in another order, so equal-scoring
    detections may swap: compared in (score, box) order."""
    from torchvision.models import detection as tvd

    from detseg.detection import roi_heads, rpn
    from detseg.models import from_torchvision

    torch.manual_seed(0)
    model = from_torchvision(
        tvd.fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None, weights_backbone=None, num_classes=4, box_score_thresh=0.0
        )
    ).eval()
    generator = torch.Generator().manual_seed(1)
    images = [
        torch.rand(3, 160, 200, generator=generator),
        torch.rand(3, 90, 120, generator=generator),
    ]
    with torch.no_grad():
        want = model.predict(images)
        for module in (rpn, roi_heads):
            monkeypatch.setattr(module, "host_reads_are_free", lambda device: False)
        have = model.predict(images)
    assert sum(len(w["scores"]) for w in want) > 50  # a real comparison, not two empty lists
    for w, h in zip(want, have, strict=True):
        assert h["boxes"].shape == w["boxes"].shape
        w, h = _by_score_then_x1(w), _by_score_then_x1(h)
        torch.testing.assert_close(h["scores"], w["scores"])
        torch.testing.assert_close(h["boxes"], w["boxes"])
        assert torch.equal(h["labels"], w["labels"])


def _by_score_then_x1(detections: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The detections by decreasing score, equal scores by increasing x1."""
    order = torch.argsort(detections["boxes"][:, 0], stable=True)
    order = order[torch.argsort(detections["scores"][order], descending=True, stable=True)]
    return {key: value[order] for key, value in detections.items()}

"""SSD: hand-computed default boxes, matching, MultiBox loss, batched post-processing,
and the builders."""

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision

from detseg.detection.builder_parts import SCRATCH_NORM_MOMENTUM, scratch_norm_momentum
from detseg.detection.single_stage import postprocess_softmax
from detseg.detection.ssd import SSD_MODELS, ssd
from detseg.detection.ssd_head import SSDMatcher, multibox_loss
from detseg.ops.box_coder import BoxCoder
from detseg.ops.default_boxes import DefaultBoxGenerator, default_box_scales


def test_default_boxes_one_cell_hand_computed():
    gen = DefaultBoxGenerator([[2]], scales=[0.2, 0.8])
    boxes = gen((100, 100), [(1, 1)])
    # s = 0.2, s' = sqrt(0.2 * 0.8) = 0.4, ratio 2: (0.2 * sqrt2, 0.2 / sqrt2) and transposed
    a, b = 10 * math.sqrt(2), 5 * math.sqrt(2)  # half sides in pixels
    expected = torch.tensor(
        [
            [40.0, 40.0, 60.0, 60.0],
            [30.0, 30.0, 70.0, 70.0],
            [50 - a, 50 - b, 50 + a, 50 + b],
            [50 - b, 50 - a, 50 + b, 50 + a],
        ]
    )
    torch.testing.assert_close(boxes, expected)
    assert gen.num_anchors_per_location() == [4]


def test_default_boxes_two_by_two_with_clip_and_steps():
    # scales 0.5 and 2.0: s' = 1.0; ratio 4 -> (1.0, 0.25) and (0.25, 1.0); image 200 x 100
    gen = DefaultBoxGenerator([[4]], scales=[0.5, 2.0], clip=True)
    boxes = gen((100, 200), [(2, 2)]).view(2, 2, 4, 4)  # [y, x, box, 4]
    # cell (y=1, x=0): centre (0.25 * 200, 0.75 * 100) = (50, 75)
    cell = boxes[1, 0]
    torch.testing.assert_close(cell[0], torch.tensor([0.0, 50.0, 100.0, 100.0]))  # 0.5 x 0.5
    torch.testing.assert_close(cell[1], torch.tensor([-50.0, 25.0, 150.0, 125.0]))  # 1 x 1
    torch.testing.assert_close(cell[2], torch.tensor([-50.0, 62.5, 150.0, 87.5]))  # 1 x 0.25
    torch.testing.assert_close(cell[3], torch.tensor([25.0, 25.0, 75.0, 125.0]))  # 0.25 x 1
    unclipped = DefaultBoxGenerator([[4]], scales=[0.5, 2.0], clip=False)((100, 200), [(2, 2)])
    torch.testing.assert_close(
        unclipped.view(2, 2, 4, 4)[1, 0, 2],  # 0.5 * 2 = 1.0 wide
        torch.tensor([-50.0, 62.5, 150.0, 87.5]),
    )
    # with steps: centres at (j + 0.5) * step
    stepped = DefaultBoxGenerator([[4]], scales=[0.5, 2.0], steps=[40])((100, 200), [(2, 2)])
    centres = (stepped[::4, :2] + stepped[::4, 2:]) / 2
    torch.testing.assert_close(centres, torch.tensor([[20.0, 20], [60, 20], [20, 60], [60, 60]]))


def test_default_box_scales_and_torchvision_parity():
    assert default_box_scales(3, 0.2, 0.8) == pytest.approx([0.2, 0.5, 0.8, 1.0])
    from torchvision.models.detection.anchor_utils import DefaultBoxGenerator as TVGenerator
    from torchvision.models.detection.image_list import ImageList

    sizes = [(20, 20), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)]
    ours = DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95)((320, 320), sizes)
    tv = TVGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95)
    ref = tv(
        ImageList(torch.zeros(1, 3, 320, 320), [(320, 320)]), [torch.zeros(1, 1, *s) for s in sizes]
    )[0]
    assert torch.equal(ours, ref)


def test_ssd_matcher_forces_each_gt_best_box():
    iou = torch.tensor([[0.6, 0.2, 0.1, 0.0], [0.0, 0.3, 0.1, 0.55]])
    # box 3 (0.55) matches gt 1; gt 1's best is box 3 anyway; box 1 stays background
    assert SSDMatcher(0.5)(iou).tolist() == [0, -1, -1, 1]
    iou = torch.tensor([[0.6, 0.2, 0.1], [0.59, 0.3, 0.1]])
    # gt 1's best box is 0 (0.59): it takes box 0 from gt 0
    assert SSDMatcher(0.5)(iou).tolist() == [1, -1, -1]


def test_multibox_loss_mines_three_negatives_per_positive():
    torch.manual_seed(0)
    logits = torch.randn(1, 10, 3, requires_grad=True)  # 10 default boxes, K=2
    deltas = torch.randn(1, 10, 4, requires_grad=True)
    anchors = torch.tensor([[0.0, 0.0, 10.0, 10.0]] * 10) + torch.arange(10.0)[:, None]
    targets = [{"boxes": torch.tensor([[1.0, 1.0, 12.0, 11.0]]), "labels": torch.tensor([2])}]
    matched = torch.full((1, 10), -1)
    matched[0, 1] = 0
    out = multibox_loss(
        {"cls_logits": logits, "box_deltas": deltas},
        anchors,
        matched,
        targets,
        BoxCoder((10.0, 10.0, 5.0, 5.0)),
        neg_pos_ratio=3.0,
    )
    ce = F.cross_entropy(logits[0], torch.tensor([0, 2] + [0] * 8), reduction="none")
    negatives = torch.cat([ce[:1], ce[2:]]).detach().sort(descending=True).values[:3]
    hardest = [i for i in range(10) if i != 1 and ce[i] >= negatives[-1]]
    assert len(hardest) == 3
    torch.testing.assert_close(out["loss_cls"], ce[1] + ce[hardest].sum())
    target = BoxCoder((10.0, 10.0, 5.0, 5.0)).encode(targets[0]["boxes"], anchors[1:2])
    torch.testing.assert_close(
        out["loss_box"], F.smooth_l1_loss(deltas[0, 1:2], target, reduction="sum")
    )
    empty = multibox_loss(
        {"cls_logits": logits, "box_deltas": deltas},
        anchors,
        torch.full((1, 10), -1),
        [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}],
        BoxCoder((10.0, 10.0, 5.0, 5.0)),
    )
    assert empty["loss_box"].item() == 0.0 and empty["loss_cls"].item() == 0.0


def _per_class_reference(logits, boxes, score_thresh, k, nms_thresh, max_det):
    """torchvision SSD's post-processing: a Python loop over classes."""
    scores = logits.softmax(-1)
    out_boxes, out_scores, out_labels = [], [], []
    for label in range(1, scores.shape[-1]):
        s = scores[:, label]
        keep = s > score_thresh
        s, b = s[keep], boxes[keep]
        s, idx = s.topk(min(k, len(s)))
        out_boxes.append(b[idx])
        out_scores.append(s)
        out_labels.append(torch.full_like(idx, label))
    b, s, lab = torch.cat(out_boxes), torch.cat(out_scores), torch.cat(out_labels)
    keep = torchvision.ops.batched_nms(b, s, lab, nms_thresh)[:max_det]
    return b[keep], s[keep], lab[keep]


@pytest.mark.parametrize("score_thresh, k", [(0.05, 30), (0.2, 500), (0.5, 5)])
def test_batched_postprocess_equals_per_class_loop(score_thresh, k):
    torch.manual_seed(1)
    logits = torch.randn(2, 400, 6) * 2
    xy = torch.rand(2, 400, 2) * 80
    boxes = torch.cat([xy, xy + 5 + torch.rand(2, 400, 2) * 30], dim=-1)
    ours = postprocess_softmax(logits, boxes, score_thresh, k, 0.45, 100)
    for i in range(2):
        ref = _per_class_reference(logits[i], boxes[i], score_thresh, k, 0.45, 100)
        assert torch.equal(ours[i]["boxes"], ref[0])
        assert torch.equal(ours[i]["scores"], ref[1])
        assert torch.equal(ours[i]["labels"], ref[2])


def test_ssdlite_builder_trains_and_predicts():
    torch.manual_seed(0)
    model = ssd(3, backbone="mobilenet_v3_large", size=128, width_mult=0.5)
    images = [torch.rand(3, 100, 140), torch.rand(3, 90, 90)]
    targets = [
        {"boxes": torch.tensor([[5.0, 6.0, 60.0, 70.0]]), "labels": torch.tensor([3])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    losses = model.losses(images, targets)
    assert set(losses) == {"loss_cls", "loss_box"}
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing
    # batch of 2 negatives (train-mode BatchNorm needs > 1 value on the 1x1 extra level)
    assert model.losses(images, [targets[1], targets[1]])["loss_box"].item() == 0.0
    model.eval()
    with torch.no_grad():
        detections = model(images)
    assert len(detections) == 2
    for det in detections:
        assert det["labels"].numel() == 0 or 1 <= det["labels"].min() <= det["labels"].max() <= 3
    with pytest.raises(ValueError, match="box 0"):
        model.losses(
            images[:1],
            [{"boxes": torch.tensor([[5.0, 5.0, 5.0, 9.0]]), "labels": torch.tensor([1])}],
        )


def test_ssd300_vgg16_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    model = SSD_MODELS["ssd300_vgg16"](2)
    images = [torch.rand(3, 120, 160)]
    targets = [{"boxes": torch.tensor([[10.0, 10.0, 90.0, 100.0]]), "labels": torch.tensor([2])}]
    losses = model.losses(images, targets)
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing
    assert model.backbone.l2norm.scale.grad is not None
    assert model.backbone.features[16].ceil_mode  # pool3


def test_builder_rejects_bad_settings():
    with pytest.raises(ValueError, match="size=300"):
        ssd(2, backbone="vgg16", size=512)
    with pytest.raises(ValueError, match="SSD backbone"):
        ssd(2, backbone="resnet50")
    with pytest.raises(ValueError, match="head"):
        ssd(2, backbone="mobilenet_v3_large", size=96, head="mlp")


def _batch_norm_momenta(module):
    return {m.momentum for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)}


def test_norm_momentum_rule():
    assert scratch_norm_momentum(None, None) == SCRATCH_NORM_MOMENTUM == 0.1
    assert scratch_norm_momentum("imagenet", None) is None  # keep torchvision's value
    assert scratch_norm_momentum(None, 0.05) == scratch_norm_momentum("x.pth", 0.05) == 0.05


def test_ssdlite_norm_momentum_from_scratch_and_with_weights(tmp_path):
    scratch = ssd(2, backbone="mobilenet_v3_large", size=64, width_mult=0.5)
    assert _batch_norm_momenta(scratch.backbone) == _batch_norm_momenta(scratch.head) == {0.1}
    chosen = ssd(2, backbone="mobilenet_v3_large", size=64, width_mult=0.5, norm_momentum=0.05)
    assert _batch_norm_momenta(chosen) == {0.05}
    weights = tmp_path / "mobilenet_v3_large.pth"
    torch.save(torchvision.models.mobilenet_v3_large().state_dict(), weights)
    pretrained = ssd(2, backbone="mobilenet_v3_large", size=64, backbone_weights=str(weights))
    assert _batch_norm_momenta(pretrained) == {0.03}  # torchvision's SSDlite value


def test_ssdlite_conv_init_choice():
    torch.manual_seed(0)
    normal = ssd(2, backbone="mobilenet_v3_large", size=64, width_mult=0.5)
    kaiming = ssd(2, backbone="mobilenet_v3_large", size=64, width_mult=0.5, conv_init="kaiming")
    # the first conv of the network (3 -> 8 channels): Normal(0, 0.03) vs Kaiming fan-out
    # std sqrt(2 / (8 * 3 * 3)) = 1/6; the first conv of an extra block (1x1, 240 -> 128):
    # sqrt(2 / 128) = 0.125. A sample std of n normal weights is off by ~1 / sqrt(2n): 5% for
    # the 216 weights of the first conv, 0.4% for the 30720 of the extra conv (5 of those each)
    for model, stds in ((normal, (0.03, 0.03)), (kaiming, (1 / 6, 0.125))):
        first = model.backbone.features[0][0][0].weight
        extra = model.backbone.extra[0][0][0].weight
        assert first.shape == (8, 3, 3, 3) and extra.shape[:2] == (128, 240)
        torch.testing.assert_close(first.std().item(), stds[0], rtol=0.25, atol=0)
        torch.testing.assert_close(extra.std().item(), stds[1], rtol=0.02, atol=0)
    with pytest.raises(ValueError, match="conv_init"):
        ssd(2, backbone="mobilenet_v3_large", size=64, conv_init="xavier")
    with pytest.raises(ValueError, match="SSDlite MobileNet only"):
        ssd(2, backbone="vgg16", conv_init="kaiming")

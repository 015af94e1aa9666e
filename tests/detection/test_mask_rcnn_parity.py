"""Converted Mask R-CNN models give torchvision's detections, masks and losses.

The torchvision twins are built with random weights (``weights=None, weights_backbone=None``),
small images of two sizes and few proposals; ``box_score_thresh=0`` keeps detections for every
image, so boxes, scores, labels and the pasted masks are all compared. Tolerances: boxes 1e-4
and scores 1e-5 (as the Faster R-CNN tests), masks 1e-6 (the pasting rounds in another order
than torchvision's per-mask ``interpolate``), losses rtol 1e-5.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torchvision.models import detection as tv_detection

from detseg.convert import convert_torchvision
from detseg.convert.checkpoint_file import torchvision_file_checkpoint
from detseg.detection.mask_rcnn import MaskRCNN
from detseg.models import build_model

CASES = {"resnet50_fpn": "maskrcnn_resnet50_fpn", "resnet50_fpn_v2": "maskrcnn_resnet50_fpn_v2"}
SMALL = {
    "min_size": 128,
    "max_size": 160,
    "rpn_pre_nms_top_n_test": 200,
    "rpn_post_nms_top_n_test": 50,
    "rpn_pre_nms_top_n_train": 200,
    "rpn_post_nms_top_n_train": 50,
    "rpn_batch_size_per_image": 32,
    "box_batch_size_per_image": 32,
    "box_detections_per_img": 20,
    "box_score_thresh": 0.0,
}
LOSS_NAMES = {
    "loss_rpn_cls": "loss_objectness",
    "loss_rpn_box": "loss_rpn_box_reg",
    "loss_roi_cls": "loss_classifier",
    "loss_roi_box": "loss_box_reg",
    "loss_roi_mask": "loss_mask",
}


def _twin(name: str, num_classes: int = 5) -> torch.nn.Module:
    torch.manual_seed(0)
    model = getattr(tv_detection, name)(
        weights=None, weights_backbone=None, num_classes=num_classes, **SMALL
    )
    return model.eval()


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return [
        torch.rand(3, 120, 160, generator=generator),
        torch.rand(3, 150, 110, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    first = torch.zeros(2, 120, 160, dtype=torch.uint8)
    first[0, 10:80, 20:90] = 1
    first[1, 60:115, 95:155] = 1
    first[1, 60:80, 95:110] = 0  # a notch: the target is not a filled box
    yy, xx = torch.meshgrid(torch.arange(150), torch.arange(110), indexing="ij")
    disc = ((yy - 70) ** 2 + (xx - 50) ** 2 < 40**2).to(torch.uint8)[None]
    return [
        {
            "boxes": torch.tensor([[20.0, 10.0, 90.0, 80.0], [95.0, 60.0, 155.0, 115.0]]),
            "labels": torch.tensor([1, 4]),
            "masks": first,
        },
        {
            "boxes": torch.tensor([[10.0, 30.0, 90.0, 110.0]]),
            "labels": torch.tensor([2]),
            "masks": disc,
        },
    ]


@pytest.fixture(scope="module", params=list(CASES))
def twins(request):
    tv_model = _twin(CASES[request.param])
    model, cfg = convert_torchvision(tv_model)
    return request.param, tv_model, model, cfg


def test_predictions_match_torchvision(twins):
    case, tv_model, model, _ = twins
    images = _images()
    with torch.no_grad():
        expected = tv_model(images)
        got = model.predict(images)
    assert len(got) == len(expected) == 2
    for want, have, image in zip(expected, got, images, strict=True):
        assert set(have) == {"boxes", "scores", "labels", "masks"}, case
        assert have["boxes"].shape == want["boxes"].shape == (20, 4), case
        torch.testing.assert_close(have["boxes"], want["boxes"], atol=1e-4, rtol=0)
        torch.testing.assert_close(have["scores"], want["scores"], atol=1e-5, rtol=0)
        assert torch.equal(have["labels"], want["labels"])
        assert have["masks"].shape == want["masks"].shape == (20, 1, *image.shape[-2:])
        torch.testing.assert_close(have["masks"], want["masks"], atol=1e-6, rtol=0)
        assert have["masks"].max() > 0.5 > have["masks"].min()  # masks with content compared


def test_training_losses_match_torchvision(twins):
    _, tv_model, model, _ = twins
    tv_model.train()
    model.train()
    try:
        torch.manual_seed(3)
        want = tv_model(_images(), _targets())
        torch.manual_seed(3)
        have = model.losses(_images(), _targets())
    finally:
        tv_model.eval()
        model.eval()
    assert set(have) == set(LOSS_NAMES)
    for ours, theirs in LOSS_NAMES.items():
        torch.testing.assert_close(have[ours], want[theirs], rtol=1e-5, atol=1e-6)
    assert have["loss_roi_mask"] > 0 and have["loss_roi_box"] > 0


def test_conversion_builds_a_detseg_model_with_the_same_settings(twins):
    case, tv_model, model, cfg = twins
    assert isinstance(model, MaskRCNN) and model.has_masks and model.task == "detection"
    for name, module in model.named_modules():
        origin = type(module).__module__
        assert not origin.startswith(
            ("torchvision.models.detection", "torchvision.models.segmentation")
        ), (name, origin)
    pool = tv_model.roi_heads.mask_roi_pool
    assert model.mask_head.pooler.output_size == pool.output_size == (14, 14)
    assert model.mask_head.pooler.sampling_ratio == pool.sampling_ratio == 2
    assert model.mask_head.mask_size == 28
    assert cfg["mask_norm"] == ("bn" if case.endswith("v2") else None)
    assert model.roi_heads.config.score_thresh == 0.0
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in tv_model.parameters()
    )
    rebuilt = build_model(cfg, model.num_classes)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes


def test_unsupported_mask_predictor_is_rejected(twins):
    _, tv_model, _, _ = twins
    other = copy.deepcopy(tv_model)
    other.roi_heads.mask_predictor.mask_fcn_logits = torch.nn.Conv2d(256, 1, 1)
    with pytest.raises(ValueError, match="mask predictor has 1 channels for 5 classes"):
        convert_torchvision(other)


def test_torchvision_file_converts(tmp_path):
    tv_model = _twin("maskrcnn_resnet50_fpn", num_classes=4)
    torch.save(tv_model.state_dict(), tmp_path / "tv.pth")
    state = torchvision_file_checkpoint("maskrcnn_resnet50_fpn", tmp_path / "tv.pth")
    assert state["meta"]["source"] == "torchvision.models.detection.maskrcnn_resnet50_fpn"
    assert state["config"]["model"]["name"] == "mask_rcnn"
    assert state["classes"] == ["class_1", "class_2", "class_3"]
    model, _ = convert_torchvision(tv_model)
    expected = model.state_dict()
    assert state["model"].keys() == expected.keys()
    assert all(torch.equal(state["model"][k], v) for k, v in expected.items())

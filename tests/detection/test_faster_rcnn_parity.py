"""Converted Faster R-CNN models give torchvision's detections and losses.

The torchvision twins are built with random weights (``weights=None, weights_backbone=None``)
and small images; a low ``box_score_thresh`` keeps many detections so the comparison covers
scores, class-wise NMS and the top-k cut.
"""

from __future__ import annotations

import pytest
import torch
from torchvision.models import detection as tv_detection

from detseg.convert import convert_torchvision
from detseg.convert.checkpoint_file import coco_class_names, torchvision_file_checkpoint
from detseg.convert.faster_rcnn import map_state_dict_keys
from detseg.detection.faster_rcnn import FasterRCNN
from detseg.engine.checkpointing import load_model, save_checkpoint
from detseg.models import build_model, from_torchvision

CASES = {
    "resnet50_fpn": ("fasterrcnn_resnet50_fpn", {"min_size": 160, "max_size": 256}),
    "resnet50_fpn_v2": (
        "fasterrcnn_resnet50_fpn_v2",
        {
            "min_size": 160,
            "max_size": 256,
            "rpn_post_nms_top_n_test": 100,
            "box_detections_per_img": 50,
        },
    ),
    "mobilenet_v3_large_fpn": ("fasterrcnn_mobilenet_v3_large_fpn", {"min_size": 288}),
    "mobilenet_v3_large_320_fpn": ("fasterrcnn_mobilenet_v3_large_320_fpn", {}),
    "resnet50_fpn_other_settings": (
        "fasterrcnn_resnet50_fpn",
        {
            "min_size": (128, 192),
            "max_size": 300,
            "rpn_pre_nms_top_n_test": 300,
            "rpn_post_nms_top_n_test": 150,
            "rpn_nms_thresh": 0.6,
            "rpn_score_thresh": 0.2,
            "box_nms_thresh": 0.4,
            "box_detections_per_img": 30,
            "bbox_reg_weights": (5, 5, 2, 2),
            "image_mean": [0.5, 0.4, 0.3],
            "image_std": [0.2, 0.25, 0.3],
        },
    ),
    "mobilenet_fixed_size": (
        "fasterrcnn_mobilenet_v3_large_320_fpn",
        {"fixed_size": (256, 192)},
    ),
}


def _twin(case: str, num_classes: int = 7) -> torch.nn.Module:
    name, kwargs = CASES[case]
    torch.manual_seed(0)
    model = getattr(tv_detection, name)(
        weights=None,
        weights_backbone=None,
        num_classes=num_classes,
        box_score_thresh=0.0,
        **kwargs,
    )
    if case == "resnet50_fpn_other_settings":  # freeze like trainable_backbone_layers=3
        for key, param in model.backbone.body.named_parameters():
            param.requires_grad_(key.startswith(("layer2", "layer3", "layer4")))
    return model.eval()


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return [
        torch.rand(3, 160, 200, generator=generator),
        torch.rand(3, 224, 180, generator=generator),
    ]


@pytest.fixture(scope="module", params=list(CASES))
def twins(request):
    tv_model = _twin(request.param)
    model, cfg = convert_torchvision(tv_model)
    return request.param, tv_model, model, cfg


def test_predictions_match_torchvision(twins):
    case, tv_model, model, _ = twins
    images = _images()
    with torch.no_grad():
        expected = tv_model(images)
        got = model.predict(images)
    assert len(got) == len(expected) == 2
    total = 0
    for want, have in zip(expected, got, strict=True):
        assert have["boxes"].shape == want["boxes"].shape, case
        torch.testing.assert_close(have["boxes"], want["boxes"], atol=1e-4, rtol=0)
        torch.testing.assert_close(have["scores"], want["scores"], atol=1e-5, rtol=0)
        assert torch.equal(have["labels"], want["labels"])
        assert have["labels"].dtype == torch.int64
        total += want["boxes"].shape[0]
    assert total > 10, "the comparison needs detections to be meaningful"


def test_converted_model_holds_no_torchvision_detection_module(twins):
    _, _, model, _ = twins
    assert isinstance(model, FasterRCNN)
    for name, module in model.named_modules():
        origin = type(module).__module__
        assert not origin.startswith(
            ("torchvision.models.detection", "torchvision.models.segmentation")
        ), (name, origin)


def test_settings_and_trainable_flags_are_copied(twins):
    _, tv_model, model, _ = twins
    assert model.roi_heads.config.score_thresh == tv_model.roi_heads.score_thresh
    assert model.roi_heads.config.detections_per_img == tv_model.roi_heads.detections_per_img
    assert model.rpn.config.post_nms_top_n_test == tv_model.rpn._post_nms_top_n["testing"]
    assert model.transform.image_mean == tuple(tv_model.transform.image_mean)
    params = dict(model.named_parameters())
    tv_params = dict(tv_model.named_parameters())
    for tv_key, key in map_state_dict_keys(tv_model, model).items():
        if tv_key in tv_params:
            assert params[key].requires_grad == tv_params[tv_key].requires_grad, key
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in tv_model.parameters()
    )


def test_config_rebuilds_the_same_model(twins):
    case, _, model, cfg = twins
    if case == "resnet50_fpn_other_settings":
        assert cfg["trainable_layers"] == 3
    rebuilt = build_model(cfg, model.num_classes)
    assert [p.requires_grad for p in rebuilt.parameters()] == [
        p.requires_grad for p in model.parameters()
    ]
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes
    if case not in ("resnet50_fpn_other_settings", "mobilenet_fixed_size"):
        return  # predictions of the rebuilt model: checked on the most customised cases
    rebuilt.load_state_dict(model.state_dict())
    rebuilt.eval()
    images = _images()[:1]
    with torch.no_grad():
        want, have = model.predict(images)[0], rebuilt.predict(images)[0]
    torch.testing.assert_close(have["boxes"], want["boxes"], atol=1e-4, rtol=0)
    torch.testing.assert_close(have["scores"], want["scores"], atol=1e-5, rtol=0)


def test_training_losses_match_torchvision():
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None,
        weights_backbone=None,
        num_classes=4,
        rpn_post_nms_top_n_train=300,
        rpn_batch_size_per_image=64,
        box_batch_size_per_image=64,
    )
    model = from_torchvision(tv_model.train())
    assert model.training
    images = _images()
    targets = [
        {
            "boxes": torch.tensor([[10.0, 20.0, 90.0, 120.0], [100.0, 30.0, 190.0, 150.0]]),
            "labels": torch.tensor([1, 3]),
        },
        {"boxes": torch.tensor([[5.0, 5.0, 60.0, 200.0]]), "labels": torch.tensor([2])},
    ]
    torch.manual_seed(3)
    want = tv_model(images, targets)
    torch.manual_seed(3)
    have = model.losses(images, targets)
    names = {
        "loss_rpn_cls": "loss_objectness",
        "loss_rpn_box": "loss_rpn_box_reg",
        "loss_roi_cls": "loss_classifier",
        "loss_roi_box": "loss_box_reg",
    }
    assert set(have) == set(names)
    for ours, theirs in names.items():
        torch.testing.assert_close(have[ours], want[theirs], rtol=1e-5, atol=1e-6)
    assert have["loss_roi_box"] > 0 and have["loss_rpn_box"] > 0


def test_unsupported_model_is_rejected():
    with pytest.raises(TypeError, match="supported torchvision classes"):
        from_torchvision(torch.nn.Linear(2, 2))


def test_torchvision_file_converts_to_a_loadable_checkpoint(tmp_path):
    torch.manual_seed(0)
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=4
    ).eval()  # default settings: the conversion builds the twin with them too
    torch.save(tv_model.state_dict(), tmp_path / "tv.pth")
    state = torchvision_file_checkpoint(
        "fasterrcnn_mobilenet_v3_large_320_fpn", tmp_path / "tv.pth", num_classes=4
    )
    assert (
        state["meta"]["source"]
        == "torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn"
    )
    out = tmp_path / "converted.pt"
    save_checkpoint(out, state)
    model, config, classes = load_model(out, "cpu")
    assert classes == ["class_1", "class_2", "class_3"]
    assert config["model"]["name"] == "faster_rcnn"
    images = _images()
    with torch.no_grad():
        want, have = tv_model(images), model.predict(images)
    for w, h in zip(want, have, strict=True):
        torch.testing.assert_close(h["boxes"], w["boxes"], atol=1e-4, rtol=0)
        torch.testing.assert_close(h["scores"], w["scores"], atol=1e-5, rtol=0)


def test_torchvision_file_class_names():
    names = coco_class_names()
    assert len(names) == 90 and names[0] == "person" and "N/A" in names
    with pytest.raises(ValueError, match="unknown architecture"):
        torchvision_file_checkpoint("keypointrcnn_resnet50_fpn", "unused.pth")

"""Converted RetinaNet / SSD models give torchvision's predictions and losses.

Twins are randomly initialised (``weights=None, weights_backbone=None``) with non-default
thresholds. Two adjustments, both explained where they are made:

- RetinaNet: torchvision's output 0 is COCO's unused "__background__" class; it is dropped by
  the converter (detseg labels are 1..K), so the twin's output-0 bias is set very low, as it
  is in trained weights (never a positive), so that torchvision never predicts label 0.
- SSD300: with the default input scaling (std = 1/255) an untrained VGG saturates the softmax
  at exactly 1.0 for many boxes; the order among equal scores is arbitrary in both
  implementations, so the twin uses ImageNet std to get distinct scores.
"""

import pytest
import torch
from torchvision.models import detection as tvd

from detseg.convert.retinanet import CONVERTERS as RETINANET_CONVERTERS
from detseg.convert.retinanet import convert_retinanet
from detseg.convert.ssd import CONVERTERS as SSD_CONVERTERS
from detseg.convert.ssd import convert_ssd

IMAGES_SEED = 0


def _images():
    g = torch.Generator().manual_seed(IMAGES_SEED)
    return [torch.rand(3, 170, 230, generator=g), torch.rand(3, 200, 160, generator=g)]


def _targets():
    return [
        {
            "boxes": torch.tensor([[10.0, 20.0, 100.0, 120.0], [50.0, 60.0, 90.0, 150.0]]),
            "labels": torch.tensor([1, 4]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]


def _retinanet_twin(builder):
    torch.manual_seed(0)
    tv = builder(
        weights=None,
        weights_backbone=None,
        num_classes=6,
        min_size=160,
        max_size=240,
        score_thresh=0.01,
        detections_per_img=50,
        nms_thresh=0.4,
        topk_candidates=300,
    )
    with torch.no_grad():  # output 0 = unused background class: never fires (see docstring)
        tv.head.classification_head.cls_logits.bias.view(-1, 6)[:, 0] = -30.0
    return tv


def _ssd300_twin():
    torch.manual_seed(0)
    return tvd.ssd300_vgg16(
        weights=None,
        weights_backbone=None,
        num_classes=6,
        image_std=[0.229, 0.224, 0.225],
        score_thresh=0.02,
        nms_thresh=0.4,
        detections_per_img=50,
        topk_candidates=100,
    )


def _ssdlite_twin():
    torch.manual_seed(0)
    return tvd.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=6)


TWINS = {
    "retinanet_resnet50_fpn": (
        lambda: _retinanet_twin(tvd.retinanet_resnet50_fpn),
        convert_retinanet,
    ),
    "retinanet_resnet50_fpn_v2": (
        lambda: _retinanet_twin(tvd.retinanet_resnet50_fpn_v2),
        convert_retinanet,
    ),
    "ssd300_vgg16": (_ssd300_twin, convert_ssd),
    "ssdlite320_mobilenet_v3_large": (_ssdlite_twin, convert_ssd),
}


@pytest.mark.parametrize("name", list(TWINS))
def test_predictions_and_losses_equal_torchvision(name):
    make_twin, convert = TWINS[name]
    tv = make_twin().eval()
    model, cfg = convert(tv)
    assert not model.training
    for module in model.modules():
        assert not type(module).__module__.startswith("torchvision.models.detection")
    images = _images()
    with torch.no_grad():
        expected, got = tv(images), model(images)
    for ref, ours in zip(expected, got, strict=True):
        assert len(ref["boxes"]) > 5  # a meaningful comparison
        assert torch.equal(ours["labels"], ref["labels"])
        torch.testing.assert_close(ours["scores"], ref["scores"], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(ours["boxes"], ref["boxes"], rtol=1e-5, atol=1e-4)

    tv.train()
    model.train()
    ref_losses = tv(images, _targets())
    losses = model.losses(images, _targets())
    torch.testing.assert_close(
        losses["loss_cls"], ref_losses["classification"], rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(
        losses["loss_box"], ref_losses["bbox_regression"], rtol=1e-5, atol=1e-6
    )
    assert cfg["name"] in ("retinanet", "ssd")


def test_converter_tables_and_settings():
    assert set(RETINANET_CONVERTERS) == {"RetinaNet"} and set(SSD_CONVERTERS) == {"SSD"}
    tv = tvd.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4)
    model, cfg = convert_ssd(tv)
    assert model.num_classes == 3
    assert cfg["reduced_tail"] is True and cfg["trainable_layers"] == 6  # untrained: all train
    tv_trainable = [p.requires_grad for p in tv.parameters()]
    assert [p.requires_grad for p in model.parameters()] == tv_trainable
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert {(m.eps, m.momentum) for m in norms} == {(0.001, 0.03)}
    assert cfg["norm_momentum"] == 0.03  # a model rebuilt from cfg keeps torchvision's value

"""Converted torchvision segmentation models give torchvision's logits (and aux logits).

Twins are built with random weights (``weights=None, weights_backbone=None``); every norm layer
then gets random statistics and affine parameters, so that a wrongly mapped BN cannot hide
behind the identity initialisation. detseg takes ``[0, 1]`` images and normalises them itself,
torchvision takes the normalised images: ``detseg(x) == tv((x - mean) / std)["out"]``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import segmentation as tv_segmentation

from detseg.convert.segmentation import CONVERTERS
from detseg.segmentation import SEGMENTATION_MODELS, SegmentationModel

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
SIZES = [(65, 97), (96, 80)]
SMALL_SIZES = [(33, 49), (40, 24)]  # dilated ResNets run at stride 8: keep them tiny
TINY_SIZES = [(17, 31), (24, 20)]

# id -> (torchvision builder, kwargs, sizes)
CASES = {
    "fcn_resnet50": ("fcn_resnet50", {"num_classes": 4}, SMALL_SIZES),
    "fcn_resnet50_aux": ("fcn_resnet50", {"num_classes": 3, "aux_loss": True}, SMALL_SIZES),
    "fcn_resnet101_aux": ("fcn_resnet101", {"aux_loss": True}, TINY_SIZES),
    "deeplabv3_resnet50": ("deeplabv3_resnet50", {}, SMALL_SIZES),
    "deeplabv3_resnet50_aux": (
        "deeplabv3_resnet50",
        {"num_classes": 6, "aux_loss": True},
        SMALL_SIZES,
    ),
    "deeplabv3_resnet101": ("deeplabv3_resnet101", {"num_classes": 2}, TINY_SIZES),
    "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large", {}, SIZES),
    "deeplabv3_mobilenet_v3_large_aux": (
        "deeplabv3_mobilenet_v3_large",
        {"num_classes": 5, "aux_loss": True},
        SIZES,
    ),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large", {"num_classes": 7}, SIZES),
}


def _randomize_norms(model: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)


def _twin(name: str, kwargs: dict) -> nn.Module:
    torch.manual_seed(0)
    tv_model = getattr(tv_segmentation, name)(weights=None, weights_backbone=None, **kwargs)
    _randomize_norms(tv_model, seed=1)
    return tv_model.eval()


@pytest.mark.parametrize("case", list(CASES))
def test_converted_logits_equal_torchvision(case):
    name, kwargs, sizes = CASES[case]
    tv_model = _twin(name, kwargs)
    model, config = CONVERTERS[type(tv_model).__name__](tv_model)
    assert isinstance(model, SegmentationModel) and not model.training
    tv_classes = kwargs.get("num_classes", 21)
    assert model.num_classes == tv_classes - 1  # detseg counts foreground classes only
    assert (model.aux_head is not None) == kwargs.get("aux_loss", False)
    generator = torch.Generator().manual_seed(2)
    for h, w in sizes:
        images = torch.rand(1, 3, h, w, generator=generator)
        with torch.no_grad():
            expected = tv_model((images - MEAN) / STD)
            logits = model(images)
        assert logits.shape == (1, tv_classes, h, w)
        torch.testing.assert_close(logits, expected["out"], rtol=1e-5, atol=1e-5)
    if "aux" in expected:  # the aux head through the losses (validation loss, eval mode)
        masks = torch.randint(0, tv_classes, (1, h, w), generator=generator)
        masks[0, : h // 3] = 255
        with torch.no_grad():
            losses = model.losses(images, masks)
        ce = F.cross_entropy(expected["out"], masks, ignore_index=255)
        aux = 0.5 * F.cross_entropy(expected["aux"], masks, ignore_index=255)
        torch.testing.assert_close(losses["loss_seg"], ce, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(losses["loss_aux"], aux, rtol=1e-5, atol=1e-6)

    # the returned config rebuilds the same architecture (same keys and shapes)
    config = dict(config)
    rebuilt = SEGMENTATION_MODELS[config.pop("name")](tv_classes - 1, **config)
    rebuilt_shapes = {k: v.shape for k, v in rebuilt.state_dict().items()}
    assert rebuilt_shapes == {k: v.shape for k, v in model.state_dict().items()}


def test_converted_model_holds_no_torchvision_segmentation_module():
    # DeepLabV3 with an FCN aux head covers all three torchvision head classes with LR-ASPP
    twins = [
        _twin("deeplabv3_mobilenet_v3_large", {"aux_loss": True}),
        _twin("lraspp_mobilenet_v3_large", {}),
    ]
    for tv_model in twins:
        model, _ = CONVERTERS[type(tv_model).__name__](tv_model)
        for name, module in model.named_modules():
            assert not type(module).__module__.startswith("torchvision.models.segmentation"), name


def test_requires_grad_norm_eps_and_mode_are_copied():
    tv_model = _twin("lraspp_mobilenet_v3_large", {"num_classes": 3})
    tv_model.backbone["0"].requires_grad_(False)
    tv_model.classifier.cbr[1].eps = 1e-2
    tv_model.train()
    model, _ = CONVERTERS["LRASPP"](tv_model)
    assert model.training
    assert not any(p.requires_grad for p in model.backbone.features[0].parameters())
    assert all(p.requires_grad for p in model.backbone.features[1].parameters())
    assert model.head.cbr.bn.eps == 1e-2
    assert model.backbone.features[1].block[0][1].eps == 1e-3  # MobileNetV3's BN eps


def test_unsupported_head_fails_loudly():
    tv_model = _twin("lraspp_mobilenet_v3_large", {"num_classes": 3})
    tv_model.classifier.add_module("extra", nn.Conv2d(3, 3, 1))
    with pytest.raises(KeyError, match="classifier.extra.weight"):
        CONVERTERS["LRASPP"](tv_model)

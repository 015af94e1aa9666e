"""FPN parity with torchvision.ops.FeaturePyramidNetwork and with torchvision's detection
backbones (``resnet_fpn_backbone``, ``mobilenet_backbone(fpn=True)``), same weights."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torchvision
from torch import nn
from torchvision.models.detection.backbone_utils import (
    _mobilenet_extractor,
    _resnet_fpn_extractor,
    mobilenet_backbone,
)
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone as tv_resnet_fpn
from torchvision.ops import FeaturePyramidNetwork, FrozenBatchNorm2d
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7

from detseg.backbones import (
    FPN,
    BackboneWithFPN,
    ResNetBackbone,
    mobilenet_fpn_backbone,
    resnet_fpn_backbone,
)


def _randomize(module: nn.Module) -> None:
    """Random biases and BN statistics so that parity checks every tensor, not just convs."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Conv2d) and m.bias is not None:
                m.bias.normal_(0, 0.1)
            if isinstance(m, nn.BatchNorm2d | FrozenBatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def _features(channels: list[int], sizes: list[tuple[int, int]], names: list[str]):
    return OrderedDict(
        (name, torch.randn(2, ch, h, w))
        for name, ch, (h, w) in zip(names, channels, sizes, strict=True)
    )


# Odd sizes (a 65x99 image at strides 4..32) so that "upsample to the lateral size" matters.
SIZES = [(17, 25), (9, 13), (5, 7), (3, 4)]
CHANNELS = [16, 24, 40, 64]


@pytest.mark.parametrize(
    ("extra", "p6p7_from", "norm", "tv_extra"),
    [
        (None, "p5", None, None),
        ("maxpool", "p5", None, LastLevelMaxPool()),
        ("p6p7", "p5", None, LastLevelP6P7(32, 32)),
        ("p6p7", "c5", None, LastLevelP6P7(64, 32)),
        ("maxpool", "p5", "bn", LastLevelMaxPool()),
    ],
)
def test_fpn_equals_torchvision_with_the_same_state_dict(extra, p6p7_from, norm, tv_extra):
    torch.manual_seed(0)
    twin = FeaturePyramidNetwork(
        CHANNELS, 32, extra_blocks=tv_extra, norm_layer=nn.BatchNorm2d if norm else None
    ).eval()
    _randomize(twin)
    ours = FPN(CHANNELS, 32, extra_blocks=extra, p6p7_from=p6p7_from, norm_layer=norm).eval()
    ours.load_state_dict(twin.state_dict(), strict=True)
    assert list(ours.state_dict()) == list(twin.state_dict())

    x = _features(CHANNELS, SIZES, ["c2", "c3", "c4", "c5"])
    with torch.no_grad():
        expected = list(twin(OrderedDict((str(i), v) for i, v in enumerate(x.values()))).values())
        out = ours(x)
    names = {None: [], "maxpool": ["p6"], "p6p7": ["p6", "p7"]}[extra]
    assert list(out) == ["p2", "p3", "p4", "p5", *names]
    assert len(out) == len(expected)
    for got, want in zip(out.values(), expected, strict=True):
        assert torch.equal(got, want)


def test_fpn_level_names_and_errors():
    fpn = FPN({"c3": 8, "c4": 8, "c5": 8}, 8, extra_blocks="p6p7")
    out = fpn(_features([8, 8, 8], [(8, 8), (4, 4), (2, 2)], ["c3", "c4", "c5"]))
    assert list(out) == ["p3", "p4", "p5", "p6", "p7"]
    assert [tuple(v.shape[-2:]) for v in out.values()][-2:] == [(1, 1), (1, 1)]
    plain = FPN([8, 8], 8)  # torchvision-style names pass through, extra level is "pool"
    assert list(plain(_features([8, 8], [(4, 4), (2, 2)], ["0", "1"]))) == ["0", "1", "pool"]
    with pytest.raises(ValueError, match="extra_blocks"):
        FPN([8], 8, extra_blocks="p6")
    with pytest.raises(ValueError, match="2 levels"):
        plain(_features([8], [(4, 4)], ["c5"]))
    with pytest.raises(ValueError, match="in_features"):
        BackboneWithFPN(ResNetBackbone("resnet18"), in_features=["c6"])


def test_backbone_with_fpn_on_a_subset_of_levels():
    model = BackboneWithFPN(ResNetBackbone("resnet18"), ["c3", "c5"], 16, "maxpool").eval()
    assert model.out_channels == {"p3": 16, "p5": 16, "p6": 16}
    assert model.strides == {"p3": 8, "p5": 32, "p6": 64}
    with torch.no_grad():
        out = model(torch.rand(1, 3, 70, 70))
    assert [tuple(v.shape[1:]) for v in out.values()] == [(16, 9, 9), (16, 3, 3), (16, 2, 2)]


def _assert_same_outputs(ours: nn.Module, twin: nn.Module, image_size=(65, 99)) -> None:
    torch.manual_seed(1)
    x = torch.rand(1, 3, *image_size)
    ours.eval()
    twin.eval()
    with torch.no_grad():
        got, want = list(ours(x).values()), list(twin(x).values())
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a, b)


RESNET_CASES = {
    # name: (our kwargs, torchvision twin builder)
    "fasterrcnn_v1_style": (
        dict(name="resnet18"),
        lambda: tv_resnet_fpn(backbone_name="resnet18", weights=None, trainable_layers=3),
    ),
    "fasterrcnn_v2_style": (
        dict(name="resnet18", norm="bn", fpn_norm="bn"),
        lambda: _resnet_fpn_extractor(
            torchvision.models.resnet18(weights=None), 3, norm_layer=nn.BatchNorm2d
        ),
    ),
    "retinanet_v1_style": (
        dict(name="resnet50", returned_layers=(2, 3, 4), extra_blocks="p6p7"),
        lambda: _resnet_fpn_extractor(
            torchvision.models.resnet50(weights=None, norm_layer=FrozenBatchNorm2d),
            3,
            returned_layers=[2, 3, 4],
            extra_blocks=LastLevelP6P7(256, 256),
        ),
    ),
    "retinanet_v2_style": (
        dict(
            name="resnet18",
            returned_layers=(2, 3, 4),
            extra_blocks="p6p7",
            norm="bn",
            p6p7_from="c5",
        ),
        lambda: _resnet_fpn_extractor(
            torchvision.models.resnet18(weights=None),
            3,
            returned_layers=[2, 3, 4],
            extra_blocks=LastLevelP6P7(512, 256),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(RESNET_CASES))
def test_resnet_fpn_backbone_equals_torchvision_twin(case):
    kwargs, build_twin = RESNET_CASES[case]
    torch.manual_seed(0)
    twin = build_twin()
    _randomize(twin)
    ours = resnet_fpn_backbone(**kwargs)
    twin_state = twin.state_dict()
    assert list(ours.state_dict()) == list(twin_state)  # identical keys, identical order
    ours.load_state_dict(twin_state, strict=True)
    assert {n: p.requires_grad for n, p in ours.named_parameters()} == {
        n: p.requires_grad for n, p in twin.named_parameters()
    }
    _assert_same_outputs(ours, twin)
    expected_names = ["p3", "p4", "p5", "p6", "p7"] if "retina" in case else None
    assert list(ours.out_channels) == (expected_names or ["p2", "p3", "p4", "p5", "p6"])


def _check_mobilenet_parity(ours: nn.Module, twin: nn.Module) -> None:
    """Same keys after ``body.<i>`` -> ``body.features.<i>``, same freezing, same outputs."""
    _randomize(twin)
    mapped = OrderedDict(
        (k.replace("body.", "body.features.", 1), v) for k, v in twin.state_dict().items()
    )
    assert list(ours.state_dict()) == list(mapped)
    ours.load_state_dict(mapped, strict=True)
    assert {n: p.requires_grad for n, p in ours.named_parameters()} == {
        n.replace("body.", "body.features.", 1): p.requires_grad for n, p in twin.named_parameters()
    }
    _assert_same_outputs(ours, twin)
    assert list(ours.strides.items()) == [("p5_entry", 32), ("p5", 32), ("p6", 64)]


def test_mobilenet_fpn_backbone_equals_torchvision_public_builder():
    torch.manual_seed(0)
    twin = mobilenet_backbone(
        backbone_name="mobilenet_v3_large", weights=None, fpn=True, trainable_layers=3
    )
    _check_mobilenet_parity(mobilenet_fpn_backbone(), twin)


def test_mobilenet_v2_fpn_backbone_with_width_mult_equals_torchvision_extractor():
    torch.manual_seed(0)
    tv_net = torchvision.models.mobilenet_v2(
        weights=None, width_mult=0.5, norm_layer=FrozenBatchNorm2d
    )
    twin = _mobilenet_extractor(tv_net, True, 2)  # what mobilenet_backbone(fpn=True) builds
    ours = mobilenet_fpn_backbone("mobilenet_v2", trainable_layers=2, width_mult=0.5)
    _check_mobilenet_parity(ours, twin)

"""Backbone contract, freezing, weight loading, and parity with torchvision's classifiers."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision
from torch import nn
from torchvision.models.detection.backbone_utils import mobilenet_backbone as tv_mobilenet_backbone
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone as tv_resnet_fpn
from torchvision.models.vgg import cfgs, make_layers
from torchvision.ops import FrozenBatchNorm2d

from detseg.backbones import (
    BACKBONES,
    MobileNetBackbone,
    ResNetBackbone,
    VGGBackbone,
    build_backbone,
    imagenet_file_name,
)

# Hand-written from the architectures (torchvision's tables): channels and strides per level.
EXPECTED_PLAIN = {
    "vgg16": {"c4": (512, 8), "c5": (512, 16)},
    "vgg16_bn": {"c4": (512, 8), "c5": (512, 16)},
    "resnet18": {"c2": (64, 4), "c3": (128, 8), "c4": (256, 16), "c5": (512, 32)},
    "resnet34": {"c2": (64, 4), "c3": (128, 8), "c4": (256, 16), "c5": (512, 32)},
    "resnet50": {"c2": (256, 4), "c3": (512, 8), "c4": (1024, 16), "c5": (2048, 32)},
    "resnet101": {"c2": (256, 4), "c3": (512, 8), "c4": (1024, 16), "c5": (2048, 32)},
    "mobilenet_v2": {"c2": (24, 4), "c3": (32, 8), "c4": (64, 16), "c5": (1280, 32)},
    "mobilenet_v3_large": {"c2": (24, 4), "c3": (40, 8), "c4": (80, 16), "c5": (960, 32)},
}


def _expected_size(name: str, size: int, stride: int) -> int:
    """VGG's 2x2 unpadded pools floor; every other downsampling is padded and rounds up."""
    return size // stride if name.startswith("vgg") else math.ceil(size / stride)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_every_backbone_matches_its_declared_channels_and_strides(name):
    torch.manual_seed(0)
    model = build_backbone(name).eval()
    assert list(model.out_channels) == list(model.strides)
    plain = name.removesuffix("_fpn")
    if name in EXPECTED_PLAIN:
        declared = {k: (model.out_channels[k], model.strides[k]) for k in model.out_channels}
        assert declared == EXPECTED_PLAIN[name]
    else:  # FPN: p<k> for every body level c<k>, plus one max-pooled level.
        body_levels = list(EXPECTED_PLAIN[plain])
        top = int(body_levels[-1][1])
        assert list(model.out_channels) == [f"p{k[1]}" for k in body_levels] + [f"p{top + 1}"]
        assert set(model.out_channels.values()) == {256}
        body_strides = [s for _, s in EXPECTED_PLAIN[plain].values()]
        assert list(model.strides.values()) == body_strides + [2 * body_strides[-1]]
    height, width = 65, 99  # not multiples of any stride: ceil and floor differ everywhere
    with torch.no_grad():
        out = model(torch.rand(1, 3, height, width))
    assert list(out) == list(model.out_channels)
    for level, feature in out.items():
        stride = model.strides[level]
        expected = (
            1,
            model.out_channels[level],
            _expected_size(plain, height, stride),
            _expected_size(plain, width, stride),
        )
        assert tuple(feature.shape) == expected, level
        assert torch.isfinite(feature).all()


def test_unknown_names_raise_value_errors():
    with pytest.raises(ValueError, match="resnet50"):
        build_backbone("resnet05")
    with pytest.raises(ValueError, match="c6"):
        ResNetBackbone("resnet18", return_layers=("c4", "c6"))
    with pytest.raises(ValueError, match="trainable_layers"):
        ResNetBackbone("resnet18", trainable_layers=6)
    with pytest.raises(ValueError, match="norm"):
        VGGBackbone("vgg16_bn", norm="group")


def _randomize_norm_stats(module: nn.Module) -> None:
    """Give every (frozen) BatchNorm non-trivial affine parameters and running statistics."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d | FrozenBatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def test_frozen_bn_matches_trainable_bn_in_eval_mode():
    torch.manual_seed(0)
    bn = VGGBackbone("vgg16_bn", norm="bn").eval()
    _randomize_norm_stats(bn)
    frozen = VGGBackbone("vgg16_bn", norm="frozen_bn").eval()
    frozen.load_state_dict(bn.state_dict())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in frozen.modules())
    assert any(isinstance(m, FrozenBatchNorm2d) for m in frozen.modules())
    assert all(p.requires_grad for p in bn.parameters())
    x = torch.rand(1, 3, 64, 80)
    torch.testing.assert_close(frozen(x)["c5"], bn(x)["c5"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("norm", ["frozen_bn", "bn"])
def test_norm_choice_gives_frozen_or_trainable_batch_norm(norm):
    for model in (
        ResNetBackbone("resnet18", norm=norm),
        MobileNetBackbone("mobilenet_v3_large", norm=norm, width_mult=0.25),
    ):
        kinds = {type(m) for m in model.modules()} & {nn.BatchNorm2d, FrozenBatchNorm2d}
        assert kinds == ({FrozenBatchNorm2d} if norm == "frozen_bn" else {nn.BatchNorm2d})
        trainable_norm = [
            p for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()
        ]
        assert all(p.requires_grad for p in trainable_norm)


@pytest.mark.parametrize("trainable_layers", [0, 1, 3, 5])
def test_resnet_trainable_layers_follow_torchvision(trainable_layers):
    ours = ResNetBackbone("resnet18", norm="bn", trainable_layers=trainable_layers)
    twin = tv_resnet_fpn(
        backbone_name="resnet18",
        weights=None,
        norm_layer=nn.BatchNorm2d,
        trainable_layers=trainable_layers,
    ).body
    expected = {n: p.requires_grad for n, p in twin.named_parameters()}
    assert {n: p.requires_grad for n, p in ours.named_parameters()} == expected
    assert any(expected.values()) == (trainable_layers > 0)  # 0 freezes every parameter


@pytest.mark.parametrize("trainable_layers", [0, 2, 6])
def test_mobilenet_trainable_layers_follow_torchvision(trainable_layers):
    ours = MobileNetBackbone(
        "mobilenet_v3_large", norm="bn", trainable_layers=trainable_layers, width_mult=0.25
    )
    twin = tv_mobilenet_backbone(
        backbone_name="mobilenet_v3_large",
        weights=None,
        fpn=False,
        norm_layer=nn.BatchNorm2d,
        trainable_layers=trainable_layers,
    )[0]
    expected = {f"features.{n}": p.requires_grad for n, p in twin.named_parameters()}
    assert {n: p.requires_grad for n, p in ours.named_parameters()} == expected


def test_vgg_trainable_layers_freeze_whole_blocks_from_the_bottom():
    model = VGGBackbone("vgg16", return_layers=("c5",), trainable_layers=2)
    # Blocks 1-3 end with the pool at features.16; blocks 4 and 5 (features.17..29) train.
    for name, parameter in model.named_parameters():
        assert parameter.requires_grad == (int(name.split(".")[1]) >= 17), name


@pytest.fixture(scope="module")
def tv_vgg16_bn() -> nn.Module:
    """torchvision's VGG16-BN conv part (``vgg16_bn().features``, built by the same
    ``make_layers`` call without the 120M-parameter classifier) with random BN statistics."""
    torch.manual_seed(0)
    model = nn.Module()
    model.features = make_layers(cfgs["D"], batch_norm=True)
    _randomize_norm_stats(model)
    return model.eval()


def test_outputs_equal_torchvision_classifier_features(tv_vgg16_bn):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 35, 51)
    tv_vgg = tv_vgg16_bn
    vgg = VGGBackbone("vgg16_bn", return_layers=("c4", "c5"), norm="bn").eval()
    vgg.load_state_dict({k: v for k, v in tv_vgg.state_dict().items() if k.startswith("feat")})
    out = vgg(x)
    relu4_3 = tv_vgg.features[:33](x)
    assert torch.equal(out["c4"], relu4_3)
    assert torch.equal(out["c5"], tv_vgg.features[33:43](relu4_3))  # relu5_3, before pool5

    tv_mnv3 = torchvision.models.mobilenet_v3_large(weights=None, width_mult=0.5).eval()
    _randomize_norm_stats(tv_mnv3)
    mnv3 = MobileNetBackbone("mobilenet_v3_large", norm="bn", width_mult=0.5).eval()
    missing = mnv3.load_state_dict(tv_mnv3.state_dict(), strict=False).missing_keys
    assert missing == []
    assert torch.equal(mnv3(x)["c5"], tv_mnv3.features(x))
    assert torch.equal(mnv3(x)["c3"], tv_mnv3.features[:5](x))


def test_resnet_dilation_changes_strides_and_sizes():
    model = ResNetBackbone("resnet50", replace_stride_with_dilation=(False, True, True)).eval()
    assert model.strides == {"c2": 4, "c3": 8, "c4": 8, "c5": 8}
    with torch.no_grad():
        out = model(torch.rand(1, 3, 61, 90))
    assert [tuple(f.shape[-2:]) for f in out.values()] == [(16, 23)] + [(8, 12)] * 3
    os16 = ResNetBackbone("resnet50", replace_stride_with_dilation=(False, False, True))
    assert os16.strides["c5"] == 16
    with pytest.raises(ValueError, match="resnet18"):
        ResNetBackbone("resnet18", replace_stride_with_dilation=(False, True, True))


def test_mobilenet_dilated_has_output_stride_16():
    model = MobileNetBackbone(
        "mobilenet_v3_large", return_layers=("c3", "c5"), width_mult=0.25, dilated=True
    ).eval()
    assert model.strides == {"c3": 8, "c5": 16}
    with torch.no_grad():
        out = model(torch.rand(1, 3, 65, 96))
    assert tuple(out["c5"].shape[-2:]) == (5, 6)


@pytest.mark.parametrize(
    ("cls", "arch", "tv_builder"),
    [
        (ResNetBackbone, "resnet18", torchvision.models.resnet18),
        (VGGBackbone, "vgg16_bn", None),
        (MobileNetBackbone, "mobilenet_v3_large", torchvision.models.mobilenet_v3_large),
    ],
)
def test_weights_load_from_a_local_torchvision_file(tmp_path, cls, arch, tv_builder, request):
    torch.manual_seed(0)
    if tv_builder is None:
        reference = request.getfixturevalue("tv_vgg16_bn")
    else:
        reference = tv_builder(weights=None)
        _randomize_norm_stats(reference)
    state = reference.state_dict()
    if tv_builder is None:  # a VGG file also holds the classifier, which must be ignored
        state["classifier.6.bias"] = torch.zeros(1000)
    path = tmp_path / "weights.pth"
    torch.save(state, path)
    model = cls(arch, weights=path, return_layers=("c5",), norm="bn")
    expected = reference.state_dict()
    loaded = model.state_dict()
    assert len(loaded) > 0
    for key, tensor in loaded.items():
        assert torch.equal(tensor, expected[key]), key


def test_imagenet_weights_come_from_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    file_name = imagenet_file_name("resnet18")
    assert file_name == "resnet18-f37072fd.pth"
    with pytest.raises(FileNotFoundError) as error:
        ResNetBackbone("resnet18", weights="imagenet")
    assert file_name in str(error.value)
    assert str(tmp_path / "checkpoints") in str(error.value)

    torch.manual_seed(1)
    reference = torchvision.models.resnet18(weights=None)
    (tmp_path / "checkpoints").mkdir()
    torch.save(reference.state_dict(), tmp_path / "checkpoints" / file_name)
    model = ResNetBackbone("resnet18", weights="imagenet", norm="bn")
    assert torch.equal(model.layer4[1].conv2.weight, reference.layer4[1].conv2.weight)


def test_missing_or_mismatched_weight_files_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        ResNetBackbone("resnet18", weights=tmp_path / "nope.pth")
    path = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="resnet34"):
        ResNetBackbone("resnet34", weights=path)

"""Segmentation heads: ASPP rates vs output stride, head structure, FCN bilinear upsampling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from detseg.segmentation import (
    ASPP,
    DeepLabV3PlusHead,
    FCNHead,
    LRASPPHead,
    deeplabv3,
    default_atrous_rates,
)
from detseg.segmentation.fcn_vgg import FCNVGGHead, _upsampler, bilinear_kernel


def _dilations(module: nn.Module) -> list[int]:
    return [
        m.dilation[0] for m in module.modules() if isinstance(m, nn.Conv2d) and m.dilation[0] > 1
    ]


@pytest.mark.parametrize(("output_stride", "rates"), [(16, (6, 12, 18)), (8, (12, 24, 36))])
def test_aspp_rates_follow_the_output_stride(output_stride, rates):
    assert default_atrous_rates(output_stride) == rates
    torch.manual_seed(0)
    model = deeplabv3(2, backbone="resnet50", output_stride=output_stride).eval()
    assert model.backbone.strides["c5"] == output_stride
    assert tuple(_dilations(model.head.aspp)) == rates
    assert model.head.aspp.atrous_rates == rates
    # the dilated backbone: layer4 (and layer3 at stride 8) trade stride for dilation
    assert max(_dilations(model.backbone.layer4)) == (4 if output_stride == 8 else 2)
    assert bool(_dilations(model.backbone.layer3)) == (output_stride == 8)
    with torch.no_grad():
        features = model.backbone(torch.rand(1, 3, 35, 50))
    assert features["c5"].shape[-2:] == (-(-35 // output_stride), -(-50 // output_stride))


def test_default_atrous_rates_rejects_other_strides():
    with pytest.raises(ValueError, match="output_stride 8 or 16"):
        default_atrous_rates(32)


def test_aspp_branches_and_shapes():
    aspp = ASPP(32, (2, 3), out_channels=16).eval()
    # 1x1 branch, one 3x3 per rate, pooling branch, projected back to 16 channels
    assert len(aspp.branches) == 3 and aspp.project.conv.in_channels == 4 * 16
    x = torch.rand(2, 32, 9, 7)
    assert aspp(x).shape == (2, 16, 9, 7)
    # the pooling branch is constant over space
    pooled = aspp.pooling(x)
    torch.testing.assert_close(pooled, pooled[..., :1, :1].expand_as(pooled))


def test_aspp_pooling_trains_with_one_image_using_running_stats():
    aspp = ASPP(8, (2,), out_channels=4).train()
    bn = aspp.pooling.bn
    with torch.no_grad():
        bn.running_mean.fill_(0.3)
        bn.running_var.fill_(2.0)
    x = torch.rand(1, 8, 5, 5)
    pooled = aspp.pooling(x)
    expected = F.relu(
        (aspp.pooling.conv(x.mean(dim=(2, 3), keepdim=True)) - 0.3)
        / torch.sqrt(torch.tensor(2.0) + bn.eps)
        * bn.weight.view(1, -1, 1, 1)
        + bn.bias.view(1, -1, 1, 1)
    )
    torch.testing.assert_close(pooled, expected.expand(1, 4, 5, 5))
    assert torch.all(bn.running_mean == 0.3)  # statistics left unchanged


def test_fcn_head_structure():
    head = FCNHead(64, 5, in_feature="c4")
    assert head.in_features == ("c4",)
    assert head.block.conv.out_channels == 16 and head.block.conv.kernel_size == (3, 3)
    assert head.dropout.p == 0.1
    assert head({"c4": torch.rand(2, 64, 6, 7)}).shape == (2, 5, 6, 7)


def test_two_level_heads_return_the_low_level_resolution():
    low, high = torch.rand(2, 24, 16, 12), torch.rand(2, 40, 4, 3)
    plus = DeepLabV3PlusHead(24, 40, 3, (1, 2), "c2", "c5", channels=32)
    assert plus.reduce.conv.out_channels == 48
    assert plus({"c2": low, "c5": high}).shape == (2, 3, 16, 12)
    lite = LRASPPHead(24, 40, 3, inter_channels=8, low_feature="c2")
    assert lite({"c2": low, "c5": high}).shape == (2, 3, 16, 12)


def test_bilinear_kernel_by_hand():
    kernel = bilinear_kernel(2, 4)
    ramp = torch.tensor([0.25, 0.75, 0.75, 0.25])
    torch.testing.assert_close(kernel[0, 0], ramp[:, None] * ramp[None, :])
    torch.testing.assert_close(kernel[1, 1], kernel[0, 0])
    assert torch.all(kernel[0, 1] == 0) and torch.all(kernel[1, 0] == 0)


def test_bilinear_upsampler_matches_interpolation_inside():
    # a 2x transposed conv with the bilinear kernel equals bilinear interpolation
    # (align_corners=False) away from the border, where interpolation clamps instead of padding
    up = _upsampler(1, 2)
    x = torch.rand(1, 1, 6, 5)
    with torch.no_grad():
        y = up(x)
    reference = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert y.shape == (1, 1, 12, 10)
    torch.testing.assert_close(y[..., 1:-1, 1:-1], reference[..., 1:-1, 1:-1])


@pytest.mark.parametrize(
    ("variant", "levels"), [("32s", ("c5",)), ("16s", ("c4", "c5")), ("8s", ("c3", "c4", "c5"))]
)
def test_fcn_vgg_head_variants(variant, levels):
    head = FCNVGGHead(3, variant, fc_channels=8)
    assert head.in_features == levels
    features = {
        "c3": torch.rand(1, 256, 16, 24),
        "c4": torch.rand(1, 512, 8, 12),
        "c5": torch.rand(1, 512, 4, 6),
    }
    assert head(features).shape == (1, 3, 64, 96)
    if variant != "32s":  # skip scores start at zero: initially the sum is FCN-32s's path
        assert torch.all(head.score_pool4.weight == 0)

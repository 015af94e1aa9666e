"""The detector builders (faster_rcnn, mask_rcnn, retinanet) with a backbone module of one's own
instead of a backbone name."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from detseg.backbones import Backbone, build_backbone, build_model_backbone
from detseg.detection.faster_rcnn import faster_rcnn
from detseg.detection.mask_rcnn import mask_rcnn
from detseg.detection.retinanet import retinanet

SIZE = 64
SMALL = {"min_size": SIZE, "max_size": SIZE}
# small two-stage heads, anchors that fit 64 px images
TWO_STAGE = {
    **SMALL,
    "fpn_channels": 16,
    "representation_size": 32,
    "rpn": {"pre_nms_top_n_train": 100, "post_nms_top_n_train": 50},
    "roi_heads": {"batch_size_per_image": 32},
}
BUILDERS: dict[str, tuple[Callable[..., nn.Module], dict[str, Any]]] = {
    "faster_rcnn": (faster_rcnn, TWO_STAGE),
    "mask_rcnn": (mask_rcnn, {**TWO_STAGE, "mask_layers": (8,), "mask_dim_reduced": 8}),
    "retinanet": (retinanet, {**SMALL, "fpn_channels": 16, "head_convs": 1}),
}


class TinyBackbone(Backbone):
    """Three stride-2 stages after a stride-4 stem: levels c3, c4, c5 (strides 8, 16, 32).

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[c3/c4/c5, Float[B, C_level, h, w]]``.
    """

    def __init__(self, channels: tuple[int, int, int] = (8, 12, 16)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
        stages, width = [], 8
        for out in channels:
            stages.append(nn.Sequential(nn.Conv2d(width, out, 3, stride=2, padding=1), nn.ReLU()))
            width = out
        self.stages = nn.ModuleList(stages)
        self.out_channels = dict(zip(("c3", "c4", "c5"), channels, strict=True))
        self.strides = {"c3": 8, "c4": 16, "c5": 32}

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        features: OrderedDict[str, Tensor] = OrderedDict()
        x = self.stem(x)
        for name, stage in zip(self.out_channels, self.stages, strict=True):
            x = stage(x)
            features[name] = x
        return features


def _data() -> tuple[list[Tensor], list[dict[str, Tensor]]]:
    """Two 64 px images with one box (and its mask) each."""
    images = [torch.rand(3, SIZE, SIZE), torch.rand(3, SIZE, SIZE - 8)]
    targets = []
    for box in ([8.0, 8.0, 40.0, 48.0], [16.0, 4.0, 50.0, 30.0]):
        masks = torch.zeros(1, SIZE, SIZE, dtype=torch.uint8)
        x0, y0, x1, y1 = map(int, box)
        masks[0, y0:y1, x0:x1] = 1
        targets.append({"boxes": torch.tensor([box]), "labels": torch.tensor([1]), "masks": masks})
    targets[1]["masks"] = targets[1]["masks"][:, :, : SIZE - 8]
    return images, targets


def _body(model: nn.Module) -> nn.Module:
    """The module under the FPN (or the backbone itself, without one)."""
    backbone = model.backbone
    return backbone.body if hasattr(backbone, "fpn") else backbone


@pytest.mark.parametrize("name", list(BUILDERS))
def test_module_backbone_trains_and_predicts(name: str) -> None:
    torch.manual_seed(0)
    builder, options = BUILDERS[name]
    module = TinyBackbone()
    model = builder(2, backbone=module, **options)
    assert _body(model) is module
    assert list(model.backbone.in_features) == ["c3", "c4", "c5"]
    images, targets = _data()
    model.train()
    losses = model.losses(images, targets)
    assert all(torch.isfinite(v) for v in losses.values()), losses
    before = [p.detach().clone() for p in module.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()
    assert any(not torch.equal(a, p) for a, p in zip(before, module.parameters(), strict=True))
    model.eval()
    with torch.no_grad():
        predictions = model.predict(images)
    assert len(predictions) == 2 and all("boxes" in p for p in predictions)


def test_faster_rcnn_module_without_fpn() -> None:
    module = TinyBackbone((16, 16, 16))
    model = faster_rcnn(2, backbone=module, fpn=False, **TWO_STAGE)
    assert model.backbone is module  # all levels: the module itself
    assert model.roi_heads.pooler.featmap_names == ["c3", "c4", "c5"]
    one = faster_rcnn(2, backbone=module, fpn=False, return_layers=["c4"], **TWO_STAGE)
    assert one.backbone.body is module and list(one.backbone.strides) == ["c4"]
    images, targets = _data()
    assert all(torch.isfinite(v) for v in one.losses(images, targets).values())


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def test_named_and_module_backbones_build_the_same_model() -> None:
    torch.manual_seed(0)
    named = faster_rcnn(2, backbone="resnet18", **TWO_STAGE)
    body = build_model_backbone("resnet18", ("c2", "c3", "c4", "c5"))
    module = faster_rcnn(2, backbone=body, **TWO_STAGE)
    assert _shapes(module) == _shapes(named)
    mask_named = mask_rcnn(2, backbone="mobilenet_v3_large", **BUILDERS["mask_rcnn"][1])
    # the family's FPN levels (c5_entry, c5) are chosen from a body returning more
    mobilenet = build_backbone(
        "mobilenet_v3_large", norm="bn", return_layers=("c4", "c5_entry", "c5")
    )
    mask_module = mask_rcnn(2, backbone=mobilenet, **BUILDERS["mask_rcnn"][1])
    assert mask_module.backbone.in_features == ["c5_entry", "c5"]
    assert _shapes(mask_module) == _shapes(mask_named)
    retina_named = retinanet(2, backbone="resnet18", **BUILDERS["retinanet"][1])
    # the family's levels (c3..c5) are chosen from a body returning c2..c5
    retina_module = retinanet(
        2, backbone=build_backbone("resnet18", norm="bn"), **BUILDERS["retinanet"][1]
    )
    assert retina_module.backbone.in_features == ["c3", "c4", "c5"]
    assert _shapes(retina_module) == _shapes(retina_named)


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize(
    "option, value",
    [
        ("backbone_weights", "imagenet"),
        ("trainable_layers", 2),
        ("norm", "frozen_bn"),
        ("norm_eps", 1e-3),
        ("norm_momentum", 0.01),
        ("width_mult", 0.5),
    ],
)
def test_named_backbone_options_are_refused_with_a_module(
    name: str, option: str, value: Any
) -> None:
    builder, options = BUILDERS[name]
    with pytest.raises(ValueError, match=rf"^{option}=.* applies only to a backbone given by name"):
        builder(2, backbone=TinyBackbone(), **options, **{option: value})


class NoStrides(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.out_channels = {"c3": 8}

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        return OrderedDict(c3=self.conv(x))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_modules_that_break_the_contract_are_refused(name: str) -> None:
    builder, options = BUILDERS[name]
    with pytest.raises(ValueError, match=r"backbone module NoStrides has no strides dict"):
        builder(2, backbone=NoStrides(), **options)
    mismatched = TinyBackbone()
    mismatched.strides = {"c3": 8, "c4": 16, "p5": 32}
    with pytest.raises(ValueError, match=r"out_channels has the levels \['c3', 'c4', 'c5'\] but"):
        builder(2, backbone=mismatched, **options)
    with pytest.raises(ValueError, match=r"return_layers=\['c4', 'c6'\]: .* has no level \['c6'\]"):
        builder(2, backbone=TinyBackbone(), return_layers=["c4", "c6"], **options)
    with pytest.raises(ValueError, match=r"an nn.Module, got int"):
        builder(2, backbone=3, **options)


def test_without_fpn_unequal_channels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"without an FPN every level needs the same channels"):
        faster_rcnn(2, backbone=TinyBackbone(), fpn=False, **TWO_STAGE)


@pytest.mark.parametrize(
    "name", ["faster_rcnn", "mask_rcnn", "retinanet", "retinanet_resnet50_fpn"]
)
def test_configs_still_name_backbones(name: str) -> None:
    from detseg.config import ConfigError, config_from_dict

    data = {"format": "coco", "root": "data"}
    cfg = config_from_dict({"model": {"name": name, "backbone": "resnet18"}, "data": data})
    assert cfg.model.kwargs["backbone"] == "resnet18"
    with pytest.raises(ConfigError, match=r"unknown model.backbone 'resnt18'; did you mean"):
        config_from_dict({"model": {"name": name, "backbone": "resnt18"}, "data": data})


@pytest.mark.parametrize("value", ["5", "null"])
def test_a_config_backbone_must_be_a_name(tmp_path, value):
    from detseg.config import ConfigError, load_config

    config = tmp_path / "c.yaml"
    config.write_text(f"model: {{name: faster_rcnn, backbone: {value}}}\n")
    with pytest.raises(ConfigError, match="'model.backbone' must be a string, a name of"):
        load_config(config)

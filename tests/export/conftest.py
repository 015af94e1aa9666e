"""Tiny random models of each exportable family (``tiny_model``), and the ONNX skip.

The detectors keep every detection the NMS leaves in reach of the comparison: a score
threshold of 0 (random weights score low), top-k cuts and detection limits above the candidate
counts (a cut through equal scores could pick different boxes in onnxruntime), and at most
1,000 NMS candidates (where ``torchvision.ops.batched_nms`` takes the path the export graphs
use).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from torch import nn

from detseg.models import build_model

REPO = Path(__file__).resolve().parents[2]
NUM_CLASSES = 3


def demo_model_section() -> dict[str, Any]:
    """configs/demo.yaml's model (a half-width MobileNetV3 FPN Faster R-CNN), at 96..128 px."""
    model = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text())["model"]
    return {
        **model,
        "min_size": 96,
        "max_size": 128,
        "representation_size": 64,
        "rpn": {**model["rpn"], "pre_nms_top_n_test": 100, "post_nms_top_n_test": 60},
        "roi_heads": {**model["roi_heads"], "score_thresh": 0.0, "detections_per_img": 1000},
    }


TINY_MODELS: dict[str, dict[str, Any]] = {
    "faster_rcnn": demo_model_section(),
    "retinanet": {
        "name": "retinanet",
        "backbone": "mobilenet_v3_large",
        "width_mult": 0.5,
        "fpn_channels": 32,
        "head_convs": 1,
        "min_size": 96,
        "max_size": 128,
        "score_thresh": 0.0,
        "topk_candidates": 60,
        "detections_per_img": 1000,
    },
    "ssdlite": {
        "name": "ssdlite320_mobilenet_v3_large",
        "size": 96,
        "width_mult": 0.5,
        "score_thresh": 0.0,
        "topk_candidates": 400,  # all 312 boxes: many share a score, a cut would split them
        "detections_per_img": 1000,
    },
    "yolov3": {
        "name": "yolo",
        "backbone": "mobilenet_v3_large",
        "width_mult": 0.5,
        "input_size": 96,
        "neck_channels": 32,
        "head_channels": 32,
        "inference": {"score_thresh": 0.0, "pre_nms_top_n": 1000, "max_detections": 1000},
    },
    "yolov1": {
        "name": "yolo",
        "version": "v1",
        "backbone": "mobilenet_v3_large",
        "width_mult": 0.5,
        "input_size": 96,
        "head_channels": 32,
        "inference": {"score_thresh": 0.0, "max_detections": 1000},
    },
    # configs/segmentation/unet_shapes.yaml's network: antialiased input scale, per-image norm
    "unet": {
        "name": "unet",
        "depth": 3,
        "base_channels": 8,
        "stem_stride": 2,
        "upsampling": "transpose",
        "input": {"scale": 0.5, "per_image_norm": True},
    },
    "deeplabv3": {"name": "deeplabv3_mobilenet_v3_large", "width_mult": 0.5},
}


def _spread_head(model: nn.Module) -> None:
    """Random head weights: the single-stage heads start at one prior score for every box
    (SSDlite's exactly, RetinaNet's and YOLO's within ~1e-7), and NMS over equal scores keeps
    whichever box an implementation ranks first."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.head.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)


def build_tiny(family: str) -> nn.Module:
    torch.manual_seed(0)
    model = build_model(copy.deepcopy(TINY_MODELS[family]), NUM_CLASSES)
    if family in ("retinanet", "ssdlite", "yolov3", "yolov1"):
        _spread_head(model)
    return model.eval()


def verify_tampered(
    result: Any,
    monkeypatch: pytest.MonkeyPatch,
    tamper: Callable[[list[torch.Tensor]], list[torch.Tensor]] | None,
) -> Any:
    """``verify_export(result)`` with the exported file's outputs passed through ``tamper``
    (a broken file, made in the test), or as they are where ``tamper`` is ``None``."""
    from detseg.export import verify as verify_module

    load = verify_module.load_exported

    def tampered_load(exported: Any) -> Any:
        run = load(exported)
        return run if tamper is None else (lambda images: tamper(run(images)))

    monkeypatch.setattr(verify_module, "load_exported", tampered_load)
    return verify_module.verify_export(result)


@pytest.fixture(scope="session")
def tiny_model() -> Callable[[str], nn.Module]:
    """``tiny_model(family)``: the eval-mode model of ``TINY_MODELS[family]`` (shared: do not
    modify it; ``export_model`` exports a copy)."""
    cache: dict[str, nn.Module] = {}

    def get(family: str) -> nn.Module:
        if family not in cache:
            cache[family] = build_tiny(family)
        return cache[family]

    return get


def one_step_checkpoint(
    path: Path, model_section: dict[str, Any], data_root: Path | None = None
) -> Path:
    """A checkpoint as tools/train.py writes it (configs/demo.yaml's config with this model
    section), after one SGD step of the model on a generated image with two boxes.

    Its ``data.root`` is ``data_root``, by default a folder that does not exist (beside the
    checkpoint): the export check then runs on generated images, whatever datasets the
    checkout holds."""
    from detseg.config import load_config
    from detseg.engine.checkpointing import save_checkpoint

    config = load_config(REPO / "configs" / "demo.yaml").to_dict()
    config["model"] = copy.deepcopy(model_section)
    config["data"]["root"] = str(data_root or path.parent / "no_dataset")
    torch.manual_seed(0)
    model = build_model(copy.deepcopy(model_section), NUM_CLASSES)
    image = torch.rand(3, 96, 112, generator=torch.Generator().manual_seed(0))
    target = {
        "boxes": torch.tensor([[10.0, 12.0, 50.0, 60.0], [40.0, 30.0, 100.0, 90.0]]),
        "labels": torch.tensor([1, 3]),
    }
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    sum(model.losses([image], [target]).values()).backward()  # type: ignore[operator]
    optimizer.step()
    state = {
        "model": model.state_dict(),
        "config": config,
        "classes": ["circle", "square", "triangle"],
        "meta": {"epoch": 0, "iteration": 1, "metrics": {}},
    }
    save_checkpoint(path, state)
    return path


@pytest.fixture(scope="session")
def demo_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """configs/demo.yaml's Faster R-CNN (at 96..128 px) after one training step."""
    return one_step_checkpoint(
        tmp_path_factory.mktemp("checkpoint") / "best.pt", TINY_MODELS["faster_rcnn"]
    )

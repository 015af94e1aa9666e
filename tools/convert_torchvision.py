"""Convert a torchvision detection checkpoint file into a detseg checkpoint.

    python tools/convert_torchvision.py fasterrcnn_resnet50_fpn \
        ~/.cache/torch/hub/checkpoints/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth \
        weights/faster_rcnn_resnet50_fpn_coco.pt

The torchvision model is built with ``weights=None`` (nothing is downloaded), the file is
loaded into it, ``detseg.convert.convert_torchvision`` converts it, and the result is saved as
``{"model", "config": {"model": {...}}, "classes", "meta"}`` for ``tools/infer.py`` / ``eval.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torchvision
from torchvision.models import detection

from detseg.convert import convert_torchvision
from detseg.engine.checkpoint import save_checkpoint

ARCHS = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
)
COCO_NUM_CLASSES = 91  # torchvision's COCO heads: 0 background + 90 category slots


def coco_class_names() -> list[str]:
    """torchvision's COCO category names for labels 1..90 (``N/A`` marks unused ids)."""
    return list(detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"][1:])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("arch", choices=ARCHS, help="torchvision builder the file belongs to")
    parser.add_argument("checkpoint", type=Path, help="torchvision state-dict file (.pth)")
    parser.add_argument("out", type=Path, help="detseg checkpoint to write (.pt)")
    parser.add_argument(
        "--num-classes",
        type=int,
        default=COCO_NUM_CLASSES,
        help="torchvision num_classes of the file, background included (default 91: COCO)",
    )
    parser.add_argument(
        "--classes",
        type=Path,
        default=None,
        help="text file with one foreground class name per line (default: COCO names for 91 "
        "classes, else class_<i>)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    tv_model = getattr(detection, args.arch)(
        weights=None, weights_backbone=None, num_classes=args.num_classes
    )
    state = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    state = state.get("model", state)
    tv_model.load_state_dict(state)
    model, model_cfg = convert_torchvision(tv_model.eval())
    if args.classes is not None:
        classes = [line.strip() for line in args.classes.read_text().splitlines() if line.strip()]
    elif args.num_classes == COCO_NUM_CLASSES:
        classes = coco_class_names()
    else:
        classes = [f"class_{i}" for i in range(1, args.num_classes)]
    if len(classes) != model.num_classes:
        raise SystemExit(f"{len(classes)} class names for {model.num_classes} foreground classes")
    save_checkpoint(
        args.out,
        {
            "model": model.state_dict(),
            "config": {"model": model_cfg},
            "classes": classes,
            "meta": {
                "source": f"torchvision.models.detection.{args.arch}",
                "torchvision_checkpoint": str(args.checkpoint),
                "torchvision_version": torchvision.__version__,
            },
        },
    )
    print(f"wrote {args.out} ({model_cfg['name']}, {model.num_classes} classes)")


if __name__ == "__main__":
    main()

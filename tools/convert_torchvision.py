"""Convert a torchvision detection checkpoint file into a detseg checkpoint.

    python tools/convert_torchvision.py fasterrcnn_resnet50_fpn \
        ~/.cache/torch/hub/checkpoints/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth \
        weights/faster_rcnn_resnet50_fpn_coco.pt

The torchvision model is built with ``weights=None`` (nothing is downloaded), the file is
loaded into it, ``detseg.convert.convert_torchvision`` converts it, and the result is saved as
``{"model", "config": {"model": {...}}, "classes", "meta"}`` for ``tools/infer.py`` / ``eval.py``
(see ``detseg.convert.checkpoint_file``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from detseg.convert.checkpoint_file import (
    COCO_NUM_CLASSES,
    DETECTION_ARCHS,
    read_class_names,
    torchvision_file_checkpoint,
)
from detseg.engine.checkpointing import save_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "arch", choices=DETECTION_ARCHS, help="torchvision builder the file belongs to"
    )
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
    classes = read_class_names(args.classes) if args.classes is not None else None
    try:
        state = torchvision_file_checkpoint(args.arch, args.checkpoint, args.num_classes, classes)
    except ValueError as error:
        raise SystemExit(str(error)) from error
    save_checkpoint(args.out, state)
    num_classes = len(state["classes"])
    print(f"wrote {args.out} ({state['config']['model']['name']}, {num_classes} classes)")


if __name__ == "__main__":
    main()

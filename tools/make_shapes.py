"""Generate the synthetic shapes dataset (COCO json + instance/semantic masks).

python tools/make_shapes.py --out datasets/shapes
python tools/make_shapes.py --out /tmp/tiny --num-train 12 --num-val 6 --size 128
"""

from __future__ import annotations

import argparse
import logging
import time

from detseg.data.shapes import SHAPE_CLASSES, generate_shapes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", default="datasets/shapes", help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--num-train", type=int, default=2000, help="training images (default: %(default)s)"
    )
    parser.add_argument(
        "--num-val", type=int, default=300, help="validation images (default: %(default)s)"
    )
    parser.add_argument(
        "--size", type=int, default=256, help="image side in pixels (default: %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="base seed; same arguments give identical files (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes drawing in parallel; output does not depend on it (default: %(default)s)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    counts = generate_shapes(
        args.out, args.num_train, args.num_val, args.size, args.seed, args.workers
    )
    elapsed = time.perf_counter() - start
    print(
        f"wrote {counts['train_images']} train / {counts['val_images']} val images "
        f"({counts['train_annotations']} / {counts['val_annotations']} objects, "
        f"classes: {', '.join(SHAPE_CLASSES)}) to {args.out} in {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()

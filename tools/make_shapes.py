"""Generate the synthetic shapes dataset (COCO json + instance/semantic masks).

    python tools/make_shapes.py --out datasets/shapes
    python tools/make_shapes.py --out /tmp/tiny --num-train 12 --num-val 6 --num-test 0 --size 128

Three splits: `train` to fit, `val` to tune recipes and pick checkpoints, `test` held out
for the numbers a recipe reports (each split drawn from its own random stream).
--out must be a new or an empty folder; the dataset appears there only once it is complete:

    OUT/train/images/000000.png ...         RGB images (--size x --size); val/, test/ alike
    OUT/annotations/instances_train.json    COCO json (boxes, RLE masks); _val, _test alike
    OUT/masks/train/000000.png ...          semantic label maps: 0 background, 1..5 classes

--num-test 0 writes no test/ folder and no instances_test.json; train and val are always
written (empty with a count of 0): the COCO layout that the packaged data file
configs/datasets/shapes.yaml reads.
"""

from __future__ import annotations

import argparse
import logging
import time

from detseg.command_line import declare_output, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser

# The modules that do the work (the dataset generator) are imported by main, after the arguments
# are parsed: --help and argument errors come back at once.


def parse_args() -> argparse.Namespace:
    parser = tool_parser(
        "make_shapes", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out",
        type=user_path,
        default="datasets/shapes",
        help="output folder, new or empty; it appears when the whole dataset is written "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--num-train", type=int, default=2000, help="training images (default: %(default)s)"
    )
    parser.add_argument(
        "--num-val", type=int, default=300, help="validation images (default: %(default)s)"
    )
    parser.add_argument(
        "--num-test",
        type=int,
        default=300,
        help="held-out test images, never used for tuning (default: %(default)s)",
    )
    parser.add_argument(
        "--size", type=int, default=256, help="image side in pixels (default: %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="base seed, >= 0; same arguments give identical files (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes drawing in parallel; output does not depend on it (default: %(default)s)",
    )
    args = parser.parse_args()
    for flag, value in (
        ("--num-train", args.num_train),
        ("--num-val", args.num_val),
        ("--num-test", args.num_test),
    ):
        if value < 0:
            parser.error(f"{flag} must be >= 0, got {value}")
    if args.num_train == args.num_val == args.num_test == 0:
        parser.error(
            "--num-train, --num-val and --num-test are all 0: nothing to write; give at least "
            "one of them a positive count"
        )
    if args.size < 32:
        parser.error(f"--size must be >= 32 (shapes of 8 px and more must fit), got {args.size}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    return args


def main() -> None:
    args = parse_args()
    declare_output(args.out)  # the default too: an unwritable one is named with --out
    from detseg.data.shapes import MAX_OBJECT_SIZE, SHAPE_CLASSES, generate_shapes

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    try:
        counts = generate_shapes(
            args.out,
            num_train=args.num_train,
            num_val=args.num_val,
            num_test=args.num_test,
            size=args.size,
            seed=args.seed,
            workers=args.workers,
        )
    except MemoryError as error:  # each image and its pixel grids are drawn in memory
        raise ValueError(
            f"--size {args.size}: an image of {args.size} x {args.size} px does not fit in "
            f"memory; give a smaller --size (objects are at most {MAX_OBJECT_SIZE:.0f} px wide)"
        ) from error
    elapsed = time.perf_counter() - start
    splits = [s for s in ("train", "val", "test") if f"{s}_images" in counts]
    images = " / ".join(f"{counts[f'{s}_images']} {s}" for s in splits)
    objects = " / ".join(str(counts[f"{s}_annotations"]) for s in splits)
    print(
        f"wrote {images} images ({objects} objects, classes: {', '.join(SHAPE_CLASSES)}) "
        f"to {args.out} in {elapsed:.1f} s"
    )


def cli() -> None:
    """The ``detseg-make-shapes`` command (``pip install`` puts it on the PATH)."""
    run_command(main, tool_name("make_shapes").error_name)


if __name__ == "__main__":
    cli()

"""Compute YOLO priors for a dataset: k-means on box sizes with the distance 1 - IoU.

    python tools/anchors.py datasets/shapes/annotations/instances_train.json --k 9 --input-size 416
    python tools/anchors.py configs/demo.yaml --k 6   # the training split of a config's data
    python tools/anchors.py datasets/shapes_yolo/data.yaml --k 6   # ... or of a data file's
    python tools/anchors.py configs/yolo/yolov3_shapes.yaml --set data.root=/data/shapes

The source is a COCO json, an experiment config (its data section) or a data file (a detseg
data file or an Ultralytics data yaml); the boxes of its training split are clustered, scaled
to the square input of --input-size pixels (default: the model.input_size of a YOLO
experiment config, else 416). Prints the priors (input pixels, by increasing area,
--per-level per scale; --k must be a multiple of it, and give a YOLOv3 config's model its
number of levels) as a YAML snippet for the ``model`` section of a config, and the mean IoU
of each box with its best prior. A YOLOv1 config is refused (its model takes no priors).
"""

from __future__ import annotations

import argparse
import sys

from detseg.argument_checks import priors_per_level_problem
from detseg.command_line import run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser
from detseg_tools.config_flags import SetFlagArgumentParser, add_set_flag

#: Side of the square input the boxes are scaled to when neither --input-size nor a YOLO
#: experiment config gives one (YOLOv3's).
DEFAULT_INPUT_SIZE = 416

# The modules that do the work (torch, the dataset readers) are imported by main, after the
# arguments are parsed: --help and argument errors come back at once.


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "anchors",
        SetFlagArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        first="COCO_JSON_CONFIG_OR_DATA_YAML",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        type=user_path,
        metavar="COCO_JSON_CONFIG_OR_DATA_YAML",
        help="a COCO json file, an experiment config or a data file (detseg or Ultralytics "
        "data yaml; a packaged config's name too: yolo/yolov3_shapes, see train.py "
        "--list-configs); the boxes of its training split are used",
    )
    add_set_flag(
        parser,
        "override keys of an experiment config or a data file",
        "--set data.root=datasets/shapes (a data file takes data.* keys only; a COCO json none)",
    )
    parser.add_argument(
        "--k",
        type=int,
        default=9,
        help="number of priors, a multiple of --per-level (default: %(default)s)",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        default=None,
        help="side of the square network input the boxes are scaled to (default: the "
        "model.input_size of a YOLO experiment config, else 416)",
    )
    parser.add_argument(
        "--per-level", type=int, default=3, help="priors per scale (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the k-means++ start (default: %(default)s)"
    )
    return parser.parse_args(argv)


def check_flags(args: argparse.Namespace) -> None:
    """Refuse counts and sizes below 1, and a ``--k`` that does not fill whole levels, before
    any box is read or clustered.

    Raises:
        ValueError: ``--k``, ``--input-size`` or ``--per-level`` below 1, or ``--k`` not a
            multiple of ``--per-level`` (the message names the flags).
    """
    for flag, value in (
        ("--k", args.k),
        ("--input-size", args.input_size),
        ("--per-level", args.per_level),
    ):
        if value is not None and value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}")
    problem = priors_per_level_problem(args.k, args.per_level)
    if problem is not None:
        raise ValueError(problem)


def main() -> int:
    args = parse_args()
    check_flags(args)
    from detseg.data.anchor_kmeans import anchors_yaml, kmeans_anchors
    from detseg.dataset_check.box_sizes import (
        config_input_size,
        config_prior_levels,
        training_box_sizes,
    )

    levels = config_prior_levels(args.source, args.set)
    config_size = config_input_size(args.source, args.set)
    if config_size is not None and levels is None:  # a YOLO config, but not a YOLOv3 one
        raise ValueError(
            f"the model of {args.source} is a YOLOv1 (model.version: v1), which has no priors: "
            "it would ignore the printed anchors; give a YOLOv3 config, or the data alone "
            "(its COCO json or data file) with --input-size"
        )
    if levels is not None and args.k != levels * args.per_level:
        raise ValueError(
            f"the model of {args.source} has {levels} levels, each with --per-level "
            f"{args.per_level} priors: use --k {levels * args.per_level} (or another "
            "--per-level), so that the printed anchors fit it"
        )
    input_size = args.input_size or config_size or DEFAULT_INPUT_SIZE
    sizes = training_box_sizes(args.source, input_size, args.set)
    if sizes.shape[0] == 0:  # no lower --k helps
        raise ValueError(
            f"{args.source} has no usable boxes (no annotations, or only crowd, empty or "
            "unmatched ones); give a dataset whose training split has annotated objects"
        )
    if sizes.shape[0] < args.k:
        raise ValueError(
            f"{args.source} has {sizes.shape[0]} usable boxes, fewer than --k {args.k}; "
            "give a lower --k or a dataset with more boxes"
        )
    distinct = sizes.unique(dim=0).shape[0]
    if distinct < args.k:
        raise ValueError(
            f"{args.source} has {distinct} distinct box sizes, fewer than --k {args.k}: some "
            "priors would be copies of others; give a lower --k or a dataset with more boxes"
        )
    result = kmeans_anchors(sizes, k=args.k, seed=args.seed)
    print(
        f"# {sizes.shape[0]} boxes, input {input_size}x{input_size} px, k={args.k}; "
        "anchors as [width, height] in input pixels"
    )
    print(f"# mean best IoU: {result.mean_best_iou:.4f} ({result.iterations} iterations)")
    print(anchors_yaml(result.anchors, per_level=args.per_level))
    return 0


def cli() -> None:
    """The ``detseg-anchors`` command (``pip install`` puts it on the PATH)."""
    run_command(main, tool_name("anchors").error_name)


if __name__ == "__main__":
    cli()

"""Convert a detection dataset between the COCO-json, VOC-xml and YOLO-txt layouts.

    python tools/convert_dataset.py --from coco --to yolo datasets/shapes datasets/shapes_yolo
    python tools/convert_dataset.py --from voc --to coco VOC2007 voc_coco --splits trainval test
    python tools/train.py configs/demo.yaml --data datasets/shapes_yolo/data.yaml

SRC may also be a data file: an Ultralytics data yaml (`--from yolo`, as Ultralytics takes
`data=coco8.yaml`) or a detseg data.yaml (read at its `root` by the keys training reads:
train_images / train_ann / train_labels / train_split and the val ones, else the default layout).
Both folders use the format's default detseg layout (coco: <split>/images/ and
annotations/instances_<split>.json; voc: Annotations/, JPEGImages/ and ImageSets/Main/<split>.txt;
yolo: images/<split>/, labels/<split>/ and classes.txt); the output also gets a data.yaml with
the `data:` section of the result, for `tools/train.py --data` (with `classes` for VOC, which
keeps their order). How boxes, classes, crowd and difficult flags carry over:
python -m pydoc detseg.convert.datasets.

Per-image notes (an annotation's size other than its image file's, an image not found, an
object skipped for its box) are one line per kind, with the count, the first in full and a few
more places; --verbose also lists every note as it is read, one line each naming its file (to
fix the annotations).
"""

from __future__ import annotations

import argparse
import logging

from detseg.argument_checks import check_classes_file
from detseg.choices.dataset_formats import DATASET_FORMAT_NAMES
from detseg.command_line import declare_output, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser

# The modules that do the work (torch, the readers and writers) are imported by main, after the
# arguments are parsed: --help and argument errors come back at once.


def parse_args() -> argparse.Namespace:
    parser = tool_parser(
        "convert_dataset", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    formats = list(DATASET_FORMAT_NAMES)
    parser.add_argument(
        "--from", dest="src_format", required=True, choices=formats, help="source format"
    )
    parser.add_argument(
        "--to", dest="dst_format", required=True, choices=formats, help="target format"
    )
    parser.add_argument(
        "src",
        type=user_path,
        help="source dataset folder (SRC_ROOT), or a data file of it: an Ultralytics data yaml "
        "(yolo, e.g. coco8.yaml) or a detseg data.yaml (its train/val keys are read, the other "
        "splits of its root in the default layout)",
    )
    parser.add_argument(
        "dst", type=user_path, help="output folder (DST_ROOT); created, must be new or empty"
    )
    parser.add_argument(
        "--splits",
        nargs="+",
        default=None,
        metavar="SPLIT",
        help="splits to convert, e.g. train val (default: every split found in SRC_ROOT: coco "
        "annotations/instances_<split>.json, voc ImageSets/Main/<split>.txt, yolo images/<split> "
        "or the train/val/test of an Ultralytics SRC_ROOT/data.yaml)",
    )
    parser.add_argument(
        "--link",
        action="store_true",
        help="symlink the images to their absolute source paths instead of copying them",
    )
    parser.add_argument(
        "--classes",
        type=user_path,
        default=None,
        metavar="FILE",
        help="class names in output order (one per line, or a yaml with 'names'); source "
        "objects of other classes are skipped. Default: the classes of a data file SRC, else "
        "coco categories in id order, yolo classes.txt, voc SRC_ROOT/classes.txt or else the "
        "sorted names found in the xml files",
    )
    parser.add_argument(
        "--segments",
        action="store_true",
        help="--from coco --to yolo only: write each object's COCO segmentation as an "
        "Ultralytics segment line 'class x1 y1 x2 y2 ...' (polygon parts joined into one "
        "ring, as are an RLE mask's outer contours); objects without one stay 'class cx cy w h' "
        "boxes, crowd regions are dropped. Default: boxes only",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list every per-image note (a stated size other than the image file's, an image "
        "not found, an object skipped ...) as it is read, one line each naming its file; "
        "default: one line per kind with its count and a few places",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    declare_output(args.dst, "DST_ROOT")
    check_classes_file(args.classes)
    from tqdm.contrib.logging import logging_redirect_tqdm

    from detseg.convert.datasets import convert_dataset, image_notes
    from detseg.data import read_class_names

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:  # every note at DEBUG level, as it is read
        logging.getLogger(image_notes.__name__).setLevel(logging.DEBUG)
    full_list = "listed above" if args.verbose else "--verbose lists every one"
    classes = read_class_names(args.classes) if args.classes is not None else None
    with logging_redirect_tqdm(), image_notes.full_list_said(full_list):
        summary = convert_dataset(
            args.src,
            args.dst,
            args.src_format,
            args.dst_format,
            splits=args.splits,
            link=args.link,
            classes=classes,
            segments=args.segments,
        )
    for line in summary.lines():
        print(line)
    print(
        f"wrote {args.dst_format} dataset {summary.dst} ({len(summary.classes)} classes: "
        f"{', '.join(summary.classes)}); its data section: {summary.data_file}"
    )
    return 0


def cli() -> None:
    """The ``detseg-convert`` command (``pip install`` puts it on the PATH)."""
    run_command(main, tool_name("convert_dataset").error_name)


if __name__ == "__main__":
    cli()

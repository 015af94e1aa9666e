"""Check a dataset before training on it: unreadable files, bad boxes, classes, duplicates.

    python tools/check_data.py configs/demo.yaml --set data.root=datasets/shapes
    python tools/check_data.py datasets/shapes_yolo/data.yaml --splits train --no-decode
    python tools/check_data.py my_ultralytics_data.yaml --out runs/check_data/mine --grid 32
    python tools/check_data.py datasets/shapes_yolo/data.yaml --splits train val test

The argument is an experiment config (a file with a `model` or `_base_` key, or a `data`
section beside `train` / `eval`: its data section is checked; it needs no model, so a base
fragment or a file composing only `_base_` fragments works) or a data file (a `data:` mapping,
the keys of a data section, or an Ultralytics data yaml), or a dataset folder: its data.yaml,
else the default keys of the layout it has (coco annotations/instances_<split>.json, voc
Annotations/ + ImageSets/Main/, yolo images/ + labels/, voc_seg SegmentationClass/ +
ImageSets/Segmentation/, folder_seg images/ + masks/; the detection layouts are tried first, so
a VOC2012 folder that also has Annotations/ + ImageSets/Main/ is voc: add --set
data.format=voc_seg to check its segmentation). Prints a short report and writes to
OUT (default: runs/check_data/<name of the data root>): report.txt, summary.json (every count
and finding), report.html (self-contained: numbers, histograms, a grid of drawn images per
split) and the histograms as PNG files. The held-out `test` split (--splits test) is found
where `val` lies with val changed to test (test/images and annotations/instances_test.json,
images/test, a VOC split test), as make_shapes.py and convert_dataset.py write it.

Errors are what would stop training or make it meaningless (a split without images, no
object in train, every image unreadable, no classes, annotations the reader cannot use);
warnings are the rest (some unreadable images, boxes training clips or drops, many empty
images, duplicates, the same file in train and val). Exit code: 0 without errors, 1 with
errors, 2 for bad input (a missing folder, a bad config).
"""

from __future__ import annotations

import argparse
import logging
import sys

from detseg.command_line import TOOL_FLAGS, declare_output, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser
from detseg_tools.config_flags import SetFlagArgumentParser, add_set_flag

# The modules that do the work (torch, the dataset readers) are imported by main, after the
# arguments are parsed: --help and argument errors come back at once.

#: The flag of each setting that the errors of ``detseg.dataset_check`` name
#: (``detseg.named_settings.SettingError``): the tool's line names the flag its user typed
#: (``--splits val``), not the keyword of ``check_dataset`` (``splits=['val']``).
CHECK_FLAGS = {**TOOL_FLAGS, "splits": "--splits"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "check_data",
        SetFlagArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        first="CONFIG_OR_DATA_YAML",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        type=user_path,
        metavar="CONFIG_OR_DATA_YAML",
        help="an experiment config (its data section is checked), a data file, or a dataset "
        "folder (its data.yaml, else its layout's default keys); a path that does not exist may "
        "name a packaged config (demo, datasets/voc: train.py --list-configs)",
    )
    add_set_flag(
        parser,
        "override config keys",
        "--set data.root=datasets/shapes data.format=yolo (a data file takes data.* keys only)",
    )
    parser.add_argument(
        "--out",
        type=user_path,
        default=None,
        help="output folder (default: runs/check_data/<name of the data root>)",
    )
    parser.add_argument(
        "--splits",
        nargs="+",
        default=["train", "val"],
        choices=["train", "val", "test"],
        help="splits to check (default: train val); overlap is checked between them. test is "
        "found where val lies with val changed to test (test/images, "
        "annotations/instances_test.json, images/test, VOC split test)",
    )
    parser.add_argument(
        "--grid",
        type=int,
        default=16,
        metavar="N",
        help="images drawn with their annotations per split in report.html; images with box "
        "problems first (default: %(default)s; 0: none)",
    )
    parser.add_argument(
        "--no-decode",
        dest="decode",
        action="store_false",
        help="read only each image's header (faster) instead of decoding every image fully, "
        "which finds truncated and corrupt files",
    )
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    if args.grid < 0:
        raise ValueError(f"--grid must be >= 0, got {args.grid}")
    from tqdm.contrib.logging import logging_redirect_tqdm

    from detseg.argument_checks import check_output_folder
    from detseg.dataset_check import (
        check_dataset,
        default_out_dir,
        format_text_report,
        load_data_section,
        write_reports,
    )
    from detseg.named_settings import SettingError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    data, kind = load_data_section(args.source, args.set)
    out = check_output_folder(args.out if args.out is not None else default_out_dir(data))
    declare_output(out)  # the default too: an unwritable one is named with --out
    with logging_redirect_tqdm():
        try:
            check = check_dataset(
                data,
                args.splits,
                decode=args.decode,
                progress=None,
                source=f"{args.source} ({kind})",
            )
        except SettingError as error:  # its settings named as the flags typed
            raise type(error)(error.naming(CHECK_FLAGS)) from error
    paths = write_reports(check, out, grid=args.grid)
    print(format_text_report(check), end="")
    print(f"report: {paths['html']} (counts: {paths['summary']})")
    return check.exit_code


def cli() -> None:
    """The ``detseg-check-data`` command (``pip install`` puts it on the PATH)."""
    run_command(main, tool_name("check_data").error_name)


if __name__ == "__main__":
    cli()

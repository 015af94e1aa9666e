r"""Convert a torchvision checkpoint file into a detseg checkpoint.

    python tools/convert_torchvision.py fasterrcnn_resnet50_fpn \
        ~/.cache/torch/hub/checkpoints/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth \
        weights/faster_rcnn_resnet50_fpn_coco.pt
    python tools/convert_torchvision.py auto my_finetuned.pth weights/mine.pt --classes classes.txt

Every torchvision model with a detseg twin converts: Faster R-CNN (R50-FPN v1/v2, MobileNetV3
FPN and 320 FPN), RetinaNet (v1/v2), SSD300 VGG16, SSDlite320, Mask R-CNN (v1/v2), FCN and
DeepLabV3 (R50/R101, MobileNetV3) and LR-ASPP. The torchvision model is built with
``weights=None`` (nothing is downloaded), the file is loaded into it,
``detseg.convert.convert_torchvision`` converts it, and the result is saved as
``{"model", "config": {"model": {...}}, "classes", "meta"}`` for ``tools/infer.py`` /
``eval.py`` (see ``detseg.convert.checkpoint_file``). To fine-tune from such weights instead,
set ``model.init_from`` in a training config.
"""

from __future__ import annotations

import argparse

from detseg.argument_checks import check_classes_file, check_output_file
from detseg.choices.torchvision_archs import TORCHVISION_ARCHS
from detseg.command_line import declare_output, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser

# The modules that do the work (torch, torchvision, the converters) are imported by main, after
# the arguments are parsed: --help and argument errors come back at once.


def class_count(text: str) -> int:
    """argparse type of ``--num-classes``: an int of at least 2 (background and one class)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(
            f"must be >= 2 (background included, so 2 = one class), got {value}"
        )
    return value


def parse_args() -> argparse.Namespace:
    parser = tool_parser(  # the summary and the examples
        "convert_torchvision", description="\n\n".join(__doc__.split("\n\n")[:2])
    )
    parser.add_argument(
        "arch",
        choices=["auto", *TORCHVISION_ARCHS],
        help="torchvision builder the file belongs to (auto: found from the tensor names; name "
        "it for fasterrcnn_mobilenet_v3_large_320_fpn, whose tensors equal the 800 px model's)",
    )
    parser.add_argument("checkpoint", type=user_path, help="torchvision state-dict file (.pth)")
    parser.add_argument("out", type=user_path, help="detseg checkpoint to write (.pt)")
    parser.add_argument(
        "--num-classes",
        type=class_count,
        default=None,
        help="torchvision num_classes of the file, background included (default: read from "
        "the class layers; a given value is checked)",
    )
    parser.add_argument(
        "--classes",
        type=user_path,
        default=None,
        help="foreground class names: a text file with one per line or a data yaml with "
        "'names' (default: torchvision's names for its own class count, else class_<i>)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    declare_output(args.out, "OUT")  # an OUT that cannot be written is named in the error line
    check_output_file(args.out, args.checkpoint, name="OUT")
    check_classes_file(args.classes)
    from detseg.convert.checkpoint_file import torchvision_file_checkpoint
    from detseg.data.yolo import read_class_names
    from detseg.engine.checkpointing import save_checkpoint

    classes = read_class_names(args.classes) if args.classes is not None else None
    arch = None if args.arch == "auto" else args.arch
    state = torchvision_file_checkpoint(
        arch, args.checkpoint, args.num_classes, classes, classes_source=args.classes
    )
    save_checkpoint(args.out, state)
    num_classes = len(state["classes"])
    print(f"wrote {args.out} ({state['config']['model']['name']}, {num_classes} classes)")
    if arch is None:  # say which builder's settings the tensors were converted with
        print(auto_arch_line(state["meta"]["source"].rsplit(".", 1)[-1]))
    return 0


def auto_arch_line(found: str) -> str:
    """The line naming the builder that ``auto`` found, and those with the same tensors."""
    from detseg.convert.torchvision_archs import SAME_TENSORS

    line = f"auto: the tensors fit {found}, converted with its settings"
    others = SAME_TENSORS.get(found, ())
    if others:
        line += (
            f"; {', '.join(others)} has the same tensors with other settings (input size): "
            "if the file comes from it, name it instead of auto"
        )
    return line


def cli() -> None:
    """The ``detseg-convert-torchvision`` command (``pip install`` puts it on the PATH)."""
    run_command(main, tool_name("convert_torchvision").error_name)


if __name__ == "__main__":
    cli()

"""Export a checkpoint to ONNX or TorchScript for inference on raw images, and check the file.

    python tools/export.py runs/demo/best.pt --format onnx --dynamic --out demo.onnx
    python tools/export.py runs/demo/best.pt --out demo.onnx --input-size 320 --score-thr 0.3
    python tools/export.py runs/unet_shapes/best.pt --format torchscript --input-size 256
    python tools/export.py runs/demo    # a run folder: its best.pt, else its last.pt

The exported graph holds the model's own preprocessing (normalisation, resizing) and
post-processing (box decoding, score threshold, NMS). Detectors take one image per call,
images Float[1, 3, H, W] RGB in [0, 1], and return boxes [N, 4] (xyxy pixels of the input
image), scores [N] and labels [N] (1..K); segmenters take images [B, 3, H, W] and return logits
[B, K + 1, H, W] (the plain forward pass, without test-time augmentation or CRF). OUT.json
describes the input, the outputs, the class names, the score threshold and category_ids, the
dataset's category id of each label (a COCO-trained model's label k is COCO category
category_ids[k - 1]; 1..K where the checkpoint stores none). A detector's
TorchScript file calls torchvision's nms and roi_align: import torchvision before
torch.jit.load.

Unless --no-verify, the file is run (onnxruntime, or torch.jit.load) on a few images and
compared with the PyTorch model. The images: those of --verify-images, else the first images
of the val split of the checkpoint's config where its data.root is readable from here, else
generated random noise (on which a trained detector detects nothing, so that the check
compares no detection); the report's first line says which were used, and why noise. They are
resized to the check sizes: three inputs of the export size, or with --dynamic four sizes (the
export size, two around it, one a batch of two for segmenters, and half the export size), and
go in as raw RGB pixels in [0, 1], as the exported graph takes them. Every detection must be
paired with one of the same label (only those at the detection limit or the score threshold
may differ, and those that NMS ranked among exactly equal scores, which onnxruntime and
torchvision order differently), boxes within 1e-3 of the longer image side, scores within 1%
of the PyTorch score (at most 1e-3, at least 1e-6: scores 0.9 x the model's fail); logits
within 1e-4 of their largest magnitude (at least 1). The command
prints the largest differences and exits with 1 when they exceed the tolerance, with 2 when the
model or the settings cannot be exported (e.g. --batch-size 2 for a detector, a Mask R-CNN,
whose masks are not part of the graphs, or an --out suffix of the other format). A
detector's check that compared no detection (nothing above the score threshold, e.g. an early
checkpoint, or noise images) ends with a warning line.

Each stage of the work (tracing, writing the file, loading it and checking it) logs a line on
stderr when it starts and one with its seconds when it ends, and a bar counts the check's images
where stderr is a terminal; the standard output holds the files written and the check's report.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NoReturn

from detseg.argument_checks import check_output_file, score_threshold_problem
from detseg.choices.export_formats import DEFAULT_OPSET, FORMATS
from detseg.command_line import run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser
from detseg_tools.list_flags import ListFlagArgumentParser, read_as_flag_words

# The modules that do the work (torch, the exporters) are imported by main, after the arguments
# are parsed: --help and argument errors come back at once.


#: The flags that take every word up to the next flag, and what their words are.
LIST_FLAGS = {"--verify-images": "PATH", "--input-size": "N"}

#: The flag of each keyword argument of ``export_model`` the tool sets, and of the check
#: (``verify``: the flag that skips it; ``image_paths``: ``verify_export``'s images): an
#: ``ExportError`` about a setting, and the advice of a weak check, name the flag its user
#: typed (``--opset 10``, ``--no-verify``), not the keyword (``opset=10``) or what a Python
#: caller does (``do not call verify_export``).
EXPORT_FLAGS = {
    "format": "--format",
    "opset": "--opset",
    "input_size": "--input-size",
    "batch_size": "--batch-size",
    "score_thresh": "--score-thr",
    "verify": "--no-verify",
    "image_paths": "--verify-images",
}


class ExportArgumentParser(ListFlagArgumentParser):
    """A :class:`~detseg_tools.list_flags.ListFlagArgumentParser` whose error says when a list
    flag (``--verify-images``, ``--input-size``) took the checkpoint.

    Such a flag takes every word up to the next flag, so ``export.py --verify-images a.png
    runs/x/best.pt`` gives the checkpoint to ``--verify-images``, and argparse alone would only
    say that the checkpoint is missing (or, after ``--input-size``, that it is no integer).
    """

    def error(self, message: str) -> NoReturn:
        super().error(self.explained(message))

    def explained(self, message: str) -> str:
        """``message`` with the way to write the command where a list flag took the
        checkpoint (:meth:`checkpoint_taken`: a word that names one, :func:`_names_checkpoint`);
        as it is otherwise (the checkpoint was not given)."""
        taken = self.checkpoint_taken()
        if taken is None:
            return message
        flag, word = taken
        missing = "arguments are required: checkpoint" in message
        if not (missing or message.endswith(f"invalid int value: {word!r}")):
            return message
        if not _names_checkpoint(word):  # the checkpoint is missing, not taken
            return message
        values = f"{flag} {LIST_FLAGS[flag]}"
        fix = f"put the checkpoint before {flag}: {self.prog} CHECKPOINT {values} ..."
        return read_as_flag_words(word, flag, values, fix)

    def checkpoint_taken(self) -> tuple[str, str] | None:
        """The list flag (:data:`LIST_FLAGS`) and the last word it took, where no word of the
        command line is left for the checkpoint; else ``None``. Words after ``--`` are
        positional: no flag takes them."""
        words = self.taken_words()
        if any(taken.flag is None for taken in words):
            return None  # a word no flag takes: the checkpoint
        listed = [(taken.flag, taken.word) for taken in words if taken.flag in LIST_FLAGS]
        return (str(listed[-1][0]), listed[-1][1]) if listed else None


def _names_checkpoint(word: str) -> bool:
    """``word`` names a checkpoint: a ``.pt`` / ``.pth`` file name, or a run folder (one
    holding a ``best.pt`` or ``last.pt``), rather than an image, an image folder or a size."""
    path = Path(word).expanduser()
    if path.suffix.lower() in (".pt", ".pth"):
        return True
    return path.is_dir() and any((path / name).is_file() for name in ("best.pt", "last.pt"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "export",
        ExportArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        description="\n\n".join(__doc__.split("\n\n")[:2]),  # the summary and the examples
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "checkpoint",
        type=user_path,
        help="detseg checkpoint (e.g. runs/x/best.pt), or a run folder (runs/x: its best.pt, "
        "else last.pt)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="file format (default: the one --out's suffix names, .onnx: onnx, .pt, .pth or "
        ".torchscript: torchscript; else onnx). An --out suffix of the other format is refused",
    )
    parser.add_argument(
        "--out",
        type=user_path,
        default=None,
        help="file to write (default: the checkpoint's name with .onnx or .torchscript.pt, "
        "beside it: runs/x/best.onnx for runs/x or runs/x/best.pt)",
    )
    parser.add_argument(
        "--dynamic",
        action="store_true",
        help="free input height and width (and batch size for segmenters); without it an ONNX "
        "file's input shape is fixed to --input-size (and --batch-size). TorchScript files "
        "follow any input size; the flag sets the shape OUT.json declares and the sizes checked",
    )
    parser.add_argument(
        "--opset",
        type=int,
        default=DEFAULT_OPSET,
        help=f"ONNX opset, 11..20 (default: {DEFAULT_OPSET}; segmenters with input.scale != 1 "
        "need 18 or more); ignored for TorchScript",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        nargs="+",
        metavar="N",
        default=None,
        help="H [W] of the example traced, the input size of a static export (default: the "
        "size a fixed-size detector resizes to, a resizing detector's min_size; for a "
        "segmenter the size it was trained at, the last fixed-size crop or resize (RandomCrop, "
        "Resize, ...) of its config's data.augmentations or a padding after it, else 512); it "
        "takes every word up to the next flag: give the checkpoint before it",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="images per call of a static segmenter export (default: 1; detectors take one image)",
    )
    parser.add_argument(
        "--score-thr",
        type=float,
        default=None,
        help="detectors: the score threshold built into the graph, in [0, 1] (default: the "
        "model's)",
    )
    parser.add_argument(
        "--verify-images",
        nargs="+",
        metavar="PATH",
        default=None,
        help="images to check the file on: image files, folders or glob patterns (quoted), as "
        "tools/infer.py takes them; the first few are used, resized to the check sizes "
        "(default: the first images of the val split of the checkpoint's config where its "
        "data.root is readable from here, else generated random noise); it takes every word "
        "up to the next flag: give the checkpoint before it (CHECKPOINT --verify-images A.png "
        "B.png)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip running the file against the PyTorch model",
    )
    args = parser.parse_args(argv)
    problem = score_threshold_problem(args.score_thr)
    if problem:
        parser.error(problem)
    if args.verify_images is not None and args.no_verify:
        parser.error("--verify-images names the images of the check that --no-verify skips")
    if args.verify_images is not None:  # before any work: a missing or bad image at once
        from detseg.export.check_images import check_batches, given_images_problem

        # the task is known once the checkpoint is loaded: as many images as either task's
        # check reads (a segmenter's dynamic check reads a fifth, its batch of two)
        batch_size = max(1, args.batch_size)
        tasks = ("detection", "segmentation")
        most = max(sum(check_batches(args.dynamic, batch_size, task)) for task in tasks)
        problem = given_images_problem(args.verify_images, most)
        if problem:
            parser.error(f"--verify-images: {problem}")
    return args


def main() -> int:
    args = parse_args()
    size = args.input_size
    if size is not None and len(size) not in (1, 2):
        raise ValueError(f"--input-size takes H or H W, got {size}")
    if size is not None and min(size) < 1:
        raise ValueError(f"--input-size must be >= 1, got {' '.join(map(str, size))}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    from detseg.export import ExportError, export_model, verify_export
    from detseg.export.export_settings import format_of
    from detseg.run_folders import checkpoint_of

    checkpoint = checkpoint_of(args.checkpoint, "exporting")  # a run folder: best.pt, else last.pt
    export_format = args.format or (format_of(args.out) if args.out else None) or "onnx"
    suffix = ".onnx" if export_format == "onnx" else ".torchscript.pt"
    out = check_output_file(args.out or checkpoint.with_suffix(suffix), checkpoint)
    try:
        result = export_model(
            checkpoint,
            out,
            format=export_format,
            dynamic=args.dynamic,
            opset=args.opset,
            input_size=None if size is None else (size[0], size[-1]),
            batch_size=args.batch_size,
            score_thresh=args.score_thr,
        )
    except ExportError as error:  # its settings named as the flags typed
        raise type(error)(error.naming(EXPORT_FLAGS)) from error
    opset = f" opset {result.opset}" if result.opset is not None else ""
    print(
        f"wrote {result.path} ({result.model_name}, {result.format}{opset}, input "
        f"{result.input_shape})"
    )
    print(f"wrote {result.sidecar}")
    if args.no_verify:
        return 0
    try:
        report = verify_export(result, image_paths=args.verify_images)
    except ExportError as error:  # its settings named as the flags typed
        raise type(error)(error.naming(EXPORT_FLAGS)) from error
    print("\n".join(report.lines(EXPORT_FLAGS)))
    return 0 if report.passed else 1


def cli() -> None:
    """The ``detseg-export`` command (``pip install`` puts it on the PATH).

    The stages of the work (tracing, writing, the check) log a line when they start and one
    with their seconds when they end, on stderr: the standard output keeps the files written
    and the check's report."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    from tqdm.contrib.logging import logging_redirect_tqdm  # log lines above the check's bar

    with logging_redirect_tqdm():
        run_command(main, tool_name("export").error_name)


if __name__ == "__main__":
    cli()

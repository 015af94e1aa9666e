"""Run a trained detector or segmenter on images, videos, cameras or streams and draw what it finds.

    python tools/infer.py runs/demo/best.pt datasets/shapes/val/images/00000*.png --out out/
    python tools/infer.py runs/demo/best.pt photos/ --score-thr 0.5 --device cpu
    python tools/infer.py runs/demo/best.pt photos/ --classes circle star   # those classes only
    python tools/infer.py runs/demo/best.pt photos/ --set model.roi_heads.nms_thresh=0.6
    python tools/infer.py runs/unet_shapes/best.pt datasets/shapes/val/images --out seg/
    python tools/infer.py runs/demo/best.pt clip.mp4 --out out/
    python tools/infer.py runs/demo/best.pt 0 --max-frames 300            # camera 0
    python tools/infer.py runs/demo/best.pt rtsp://192.168.1.10/stream --max-frames 1000

Inputs are image files, folders (their images, sorted, hidden files such as macOS's
``._IMG_0001.jpg`` left out as ``'folder/*'`` leaves them out; video files in a folder are
named in a warning, and the quoted pattern ``'folder/*'`` reads them too), glob patterns
(quoted; ``**`` matches any depth of subfolders; the image and video files they match, other
files skipped), video files (by suffix: .mp4 .avi .mov .mkv .webm ...), camera indices
(``0``) or stream URLs (rtsp://, http:// ...). A leading ``~`` in a path (``--out=~/x``,
which the shell leaves as it is) is the home folder.

For each readable image the script writes ``OUT/<name>`` with boxes, class names and scores
drawn (one colour per class), and ``OUT/predictions.json``: every detection at or above the
score threshold in the COCO results format (``image_id`` is the position of the image in the
input list, from 1; ``category_id`` the dataset's id) plus ``category_name`` (the class's
name) and ``file_name``. A checkpoint with
instance masks (Mask R-CNN) also draws each mask, translucent and outlined in its class colour,
and adds ``segmentation`` (the mask as COCO compressed RLE) to each record. A segmentation
checkpoint gives ``OUT/<name>``: the image with one colour per class blended in and a legend
(class names and colours) on its right, and ``OUT/labels/<stem>.png``: the predicted label map
as an 8-bit palette PNG (0 background, ``k`` the k-th class of the checkpoint), made as the
checkpoint config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say (``--plain``: one
forward pass). ``<name>`` is the image's file name, with ``_1``, ``_2`` ... after its stem
where names repeat or ``OUT`` holds an input image of that name (an input is never written
over: ``--out`` may be the images' folder). Where ``OUT`` holds input images, the files drawn
there (and a segmenter's label maps) are listed in ``OUT/.detseg-outputs.json``, and a later
run that scans ``OUT`` or a pattern in it skips the files listed (one info line counts them;
one named as a file is read), so that it draws the images again, not the earlier drawings.
With ``OUT`` inside an input folder (``photos/ --out photos/out``)
or below a pattern's folder, the files under ``OUT`` that the folder or pattern finds are
skipped (one info line counts them), so a second run does not read the first one's outputs;
an image under ``OUT`` named as a file is read. A pattern's video under ``OUT`` with its
``<stem>.jsonl`` beside it (an earlier run's drawn video, ``OUT`` the videos' own folder) is
skipped too, unless the run has nothing else to read.

A video, camera or stream gives ``OUT/<stem>.mp4``, its frames drawn the same way at the
source's frame rate, and ``OUT/<stem>.jsonl``, one JSON record per frame: ``frame`` (from 0),
``time`` (seconds) and ``detections``, named as the records of ``predictions.json``
(``category_id``, ``bbox`` [x, y, w, h] pixels, ``score``, ``category_name``, and with masks
``area``, the mask's pixels), or for a segmenter ``classes`` (each class's share of the
pixels). A progress bar shows the frames per second. A camera runs until
``--max-frames`` or Ctrl-C. A stream URL is given up when it does not answer within 10 s
(``detseg.api.video_streams.STREAM_TIMEOUT``; OpenCV alone waits 30 s), and ends when it
gives no frame for as long; an info line says so before it is opened. The limit holds where
OpenCV's FFmpeg backend takes timeouts; without them the info line says the wait is not
bounded.

An input that cannot be read (a missing file, an empty or corrupt image, a broken video, a
camera that cannot be opened, a glob matching nothing) is reported on one line,
``infer: error: <message>`` naming it and saying why; the others are still processed and
written, the closing summary counts them, and the exit code is then 2 (as for any user
error; 0 when every input was read).
A run that reads no image writes no ``predictions.json`` (that of an earlier run is kept);
one stopped by Ctrl-C writes the records of the images drawn so far.

The work is done by ``detseg.predict_images.predict_checkpoint`` on ``detseg.load``'s
predictor (``detseg.api``).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from pathlib import Path
from typing import NoReturn

from detseg.argument_checks import score_threshold_problem
from detseg.choices.tta_modes import TTA_MODES
from detseg.command_line import USER_ERROR_EXIT_CODE, declare_output, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser
from detseg_tools.config_flags import SetFlagArgumentParser, add_set_flag
from detseg_tools.list_flags import read_as_flag_words

TOOL = "infer"

#: The flag of each keyword of ``predict_checkpoint`` that its errors may name: the user of this
#: tool typed the flag, not the keyword (``--score-thr 0.5``, not ``score_threshold 0.5``).
INFER_FLAGS = {
    "stream_timeout": "--stream-timeout",
    "out": "--out",
    "score_threshold": "--score-thr",
    "classes": "--classes",
    "tta": "--tta",
    "plain": "--plain",
}

# The modules that do the work (torch, the models) are imported by main, after the arguments are
# parsed: --help and argument errors come back at once.


class _InferArgumentParser(SetFlagArgumentParser):
    """A :class:`SetFlagArgumentParser` whose error for a missing checkpoint or input says when
    ``--classes`` or ``--set`` took it.

    Both take every word up to the next flag, so ``infer.py best.pt --classes circle photos/``
    gives ``photos/`` to ``--classes``, and argparse alone would only say that the inputs are
    missing.
    """

    def error(self, message: str) -> NoReturn:
        taken = self.input_read_as_list_item()
        if "arguments are required" in message and taken is not None:
            word, flag = taken
            message = read_as_flag_words(
                word,
                flag,
                f"a {flag} item",
                f"put the checkpoint and the inputs before it: {self.prog} CHECKPOINT INPUT ... "
                f"{flag} ...",
            )
        super().error(message)

    def input_read_as_list_item(self) -> tuple[str, str] | None:
        """``(word, flag)``: the first word ``--classes`` took that names a file, a folder, a
        pattern or a URL (a path separator, a suffix, ``*``, or an existing path), or that
        ``--set`` took and is no ``KEY=VALUE``; ``None`` if there is none."""
        for taken in self.taken_words():
            if taken.flag == "--set" and "=" not in taken.word:
                return taken.word, taken.flag
            if taken.flag == "--classes" and _names_a_path(taken.word):
                return taken.word, taken.flag
        return None


def _names_a_path(word: str) -> bool:
    """``word`` looks like a file, folder, glob pattern or URL rather than a class name."""
    return (
        any(mark in word for mark in ("/", os.sep, "*", "?"))
        or bool(Path(word).suffix)
        or os.path.exists(word)
    )


#: The example command lines of ``--help``.
EXAMPLES = """\
    python tools/infer.py runs/demo/best.pt datasets/shapes/val/images --out runs/infer
    python tools/infer.py runs/demo "photos/**/*.jpg" --score-thr 0.5 --device cpu
    python tools/infer.py runs/demo/best.pt photos/ --classes circle star   # those classes only
    python tools/infer.py runs/unet_shapes/best.pt datasets/shapes/val/images --plain
    python tools/infer.py runs/demo/best.pt clip.mp4 --max-frames 300
    python tools/infer.py runs/demo/best.pt 0 --max-frames 300              # camera 0"""


#: What ``--help`` says of inputs that cannot be read (the module docstring has the details).
FAILURES = (
    "An input that cannot be read (missing, corrupt, a camera that cannot be opened) is "
    "reported on one error line that names it; the others are still processed, and the exit "
    "code is then 2 (0 when every input was read)."
)


#: What ``--help`` says the run writes (the module docstring has the details).
OUTPUTS = (
    "Writes to --out: each image drawn (boxes, class names and scores; a Mask R-CNN's masks "
    "too) and predictions.json (COCO results: image_id, category_id, bbox [x, y, w, h] "
    "pixels, score, category_name, file_name; a Mask R-CNN's masks as RLE segmentation); a "
    "video, camera or stream: <stem>.mp4 drawn and <stem>.jsonl, one record per frame (frame, "
    "time and detections with the fields of predictions.json); a "
    "segmenter: the images with the classes blended in and labels/<stem>.png label maps. "
    + FAILURES
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "infer",
        _InferArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        first="CHECKPOINT",
        description="Detect objects (with their masks, for a Mask R-CNN checkpoint) in, or "
        "segment, images, videos, cameras and streams with a detseg checkpoint. "
        + OUTPUTS
        + "\n\n"
        + EXAMPLES,
    )
    parser.add_argument(
        "checkpoint",
        type=user_path,
        help="a best.pt / last.pt written by train.py, or a run folder (its best.pt, else last.pt)",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        help="image files, folders, glob patterns, video files (.mp4 .avi .mov .mkv .webm ...), "
        "camera indices (0) or stream URLs (rtsp://, http://; one that does not answer within "
        "--stream-timeout is given up, an info line says so before it is opened)",
    )
    parser.add_argument(
        "--out",
        type=user_path,
        default=Path("runs/infer"),
        help="output folder (default: runs/infer; a new one named like a file, x.mp4 or "
        "x.json, is refused); inside an input folder, the files under it that the folder or a "
        "pattern finds are skipped (an earlier run's outputs), and so is a pattern's video in it "
        "with its .jsonl beside it; the input folder itself: the images drawn there are listed "
        "in its .detseg-outputs.json, and a later run that scans that folder skips them",
    )
    parser.add_argument(
        "--score-thr",
        type=float,
        default=None,
        help="keep detections scoring at least this, in [0, 1] (default: the config's "
        "eval.score_threshold); below the model's own inference threshold it lowers that "
        "one for this run (0.001 gives what COCO AP needs); detectors only (refused for a "
        "segmentation checkpoint)",
    )
    parser.add_argument(
        "--classes",
        nargs="+",
        default=None,
        metavar="NAME",
        help="keep the detections of these classes only: names (circle star) or labels "
        "1..K (default: every class); detectors only (refused for a segmentation checkpoint); "
        "it takes every word up to the next flag: give the inputs before it",
    )
    add_set_flag(
        parser,
        "override keys of the checkpoint's config for this run",
        "model.roi_heads.nms_thresh=0.6 model.roi_heads.detections_per_img=300 "
        "eval.crf.iterations=0 device=cpu",
        "it takes every word up to the next flag: give the inputs before it",
    )
    parser.add_argument(
        "--tta",
        choices=TTA_MODES,
        default=None,
        help="segmentation only (refused for a detector): average the class probabilities "
        "over flipped/rotated views (hflip 2, flips 4, dihedral 8 forward passes; default: "
        "the config's eval.tta). "
        "The config's eval.tta_scales and eval.crf apply too",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="segmentation only (refused for a detector): one forward pass per image, no "
        "TTA, no extra scale, no CRF, whatever the config says (fastest; with --tta or a "
        "--set eval.tta*/eval.crf* item it is refused)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (default: CUDA when available, else the CPU), cpu, cuda or cuda:N; the "
        "device key of the checkpoint's config is not used: a --set device=... item applies "
        "only with auto, and any other --device wins over it",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="images per forward pass (default: 1); video frames go one at a time",
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=None,
        metavar="N",
        help="stop each video, camera or stream after N frames (default: a video to its end, "
        "a camera or stream until it ends or Ctrl-C)",
    )
    parser.add_argument(
        "--stream-timeout",
        type=float,
        default=10.0,  # detseg.api.video_streams.STREAM_TIMEOUT (imported with OpenCV, later)
        metavar="SECONDS",
        help="seconds a stream URL may take to answer and to give each frame before it is "
        "given up (default: 10; OpenCV alone waits 30; kept where its FFmpeg takes timeouts)",
    )
    args = parser.parse_args(argv)
    if not (math.isfinite(args.stream_timeout) and args.stream_timeout > 0):
        parser.error(
            f"--stream-timeout must be a positive number of seconds, got {args.stream_timeout:g}"
        )
    # a quoted "~/photos/*.jpg" reaches here unexpanded; URLs and camera indices keep their text
    args.inputs = [os.path.expanduser(item) for item in args.inputs]
    problem = score_threshold_problem(args.score_thr)
    if problem:
        parser.error(problem)
    for flag, count in (("--batch-size", args.batch_size), ("--max-frames", args.max_frames)):
        if count is not None and count < 1:
            parser.error(f"{flag} must be >= 1, got {count}")
    if args.plain and args.tta is not None:
        parser.error(f"--plain runs one pass without TTA; drop --plain or --tta {args.tta}")
    chain = [item for item in args.set if item.startswith(("eval.tta", "eval.crf"))]
    if args.plain and chain:
        parser.error(
            f"--plain runs one pass without TTA, extra scales or CRF; drop --plain or --set "
            f"{' '.join(chain)}"
        )
    return args


def report_error(message: str) -> None:
    """One line on stderr for an input that cannot be read: ``infer: error: <message>`` (the
    name of :func:`~detseg_tools.command_names.tool_name`: ``detseg-infer`` for the command)."""
    sys.stderr.write(f"{tool_name(TOOL).error_name}: error: {' '.join(message.split())}\n")
    sys.stderr.flush()


def check_checkpoint_argument(checkpoint: Path) -> None:
    """Refuse an image or a video given where the checkpoint goes (a forgotten checkpoint).

    Raises:
        ValueError: ``checkpoint`` has an image or video suffix.
    """
    from detseg.api.video_names import VIDEO_SUFFIXES
    from detseg.data.image_io import IMAGE_SUFFIXES

    suffix = checkpoint.suffix.lower()
    if suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES:
        kind = "an image" if suffix in IMAGE_SUFFIXES else "a video"
        name = tool_name(TOOL)  # the commands as the user starts them
        raise ValueError(
            f"the first argument must be a checkpoint (.pt), but {checkpoint} is {kind}; "
            + name.examples("give a best.pt / last.pt written by train.py first, ")
            + f"then the inputs: {name.command} runs/demo/best.pt IMAGE ..."
        )


def main(argv: list[str] | None = None) -> int:
    """Run the checkpoint on the inputs; 2 when an input could not be read, else 0."""
    args = parse_args(argv)
    check_checkpoint_argument(args.checkpoint)
    declare_output(args.out)  # the default runs/infer too, for an error that names it
    from detseg.predict_images import predict_checkpoint

    run = predict_checkpoint(
        args.checkpoint,
        args.inputs,
        args.out,
        device=args.device,
        score_threshold=args.score_thr,
        tta=args.tta,
        plain=args.plain,
        batch_size=args.batch_size,
        overrides=args.set,
        max_frames=args.max_frames,
        on_error=report_error,
        classes=args.classes,
        stream_timeout=args.stream_timeout,
        flags=INFER_FLAGS,
    )
    summary = run.summary(exit_code=USER_ERROR_EXIT_CODE if run.failed else None)
    if summary:
        print(summary)
    return USER_ERROR_EXIT_CODE if run.failed else 0


def cli() -> None:
    """The ``detseg-infer`` command (``pip install`` puts it on the PATH)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_command(main, tool_name(TOOL).error_name)


if __name__ == "__main__":
    cli()

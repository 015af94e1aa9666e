"""COCO (or VOC) evaluation report of a checkpoint on its val split (or another split of its
dataset, ``--split test``), or of a predictions file.

A segmentation checkpoint is scored by mIoU instead (see the end of this text).

    python tools/eval.py runs/demo/best.pt
    python tools/eval.py runs/demo/best.pt --split test   # the held-out split
    python tools/eval.py runs/demo      # a run folder: its best.pt, else its last.pt
    python tools/eval.py runs/demo/best.pt --set data.root=/data/shapes eval.backend=pycocotools
    python tools/eval.py runs/voc/best.pt --metric voc12
    python tools/eval.py --gt datasets/shapes/annotations/instances_val.json \\
        --pred runs/infer/predictions.json --images datasets/shapes/val/images --out runs/eval

Both forms print the 12 COCO numbers and the per-class AP and write the report of
``detseg.evaluation.write_detection_report`` into ``OUT``: ``metrics.json`` (the 12
numbers, ``per_class`` AP/AP50/AR100, the confusion matrix and run facts), PR curves
(``pr_curve_iou50.png``, ``pr_curve_iou75.png``, ``pr_per_class.png``),
``confusion_matrix.png`` and ``report.html`` (self-contained, with a gallery of the
worst images). The checkpoint form also writes ``OUT/detections.json`` (COCO results);
the checkpoint holds everything it needs: model settings, classes and data config. The new
files are written into a hidden folder inside ``OUT`` and replace the earlier evaluation's only
once all are made; the files an earlier evaluation wrote that the new one does not write are
then removed (other files stay, and so do the ``--gt`` / ``--pred`` inputs), so none of them is
left beside the new report. An evaluation that fails (bad data, Ctrl-C) leaves ``OUT`` as it
was (the folders it created are removed again); one killed outright (``kill -9``, out of
memory) leaves its hidden ``OUT/.eval-in-progress-*`` folder, which the next evaluation into
``OUT`` deletes. A number COCOeval cannot compute (no ground truth of a class or an area
range; -1 in ``metrics.json``) is printed and shown as ``n/a``.

Instance masks: a Mask R-CNN checkpoint on COCO data is scored on its boxes and on its masks
(``segm_AP`` ... ``segm_ARl`` and ``segm_per_class`` in ``metrics.json``, a second table on
screen, masks drawn in ``report.html``); its ``detections.json`` records carry an RLE
``segmentation`` (masks binarised at the model's ``mask_threshold``). In the ``--gt/--pred``
form ``--iou-type segm`` does the same for a predictions file with ``segmentation``.

VOC metric (``--metric voc07 | voc12``; for a checkpoint the config's ``eval.metric``, whose
default ``auto`` means voc07 on VOC data): the VOC mAP at IoU 0.5 (11-point for voc07,
all-point for voc12) and the AP of each class come first, on screen and under ``voc`` in
``metrics.json`` and ``report.html``, the 12 COCO numbers beside them. The VOC AP ignores
difficult objects: a detection on one is neither a true nor a false positive. In the
checkpoint form the ground truth built from the dataset gives each difficult object (VOC's
flag) ``iscrowd: 1`` too, so the COCO numbers ignore it as well. In the ``--gt/--pred`` form
the VOC AP takes an annotation with ``difficult: 1`` or ``iscrowd: 1`` as difficult, while the
COCO numbers are pycocotools' on the file, which reads only ``iscrowd``: an annotation with
``difficult: 1`` and ``iscrowd: 0`` counts there as an object to find (a warning says how
many); give it ``iscrowd: 1`` to have both ignore it.

Model-free form: ``--pred`` is a list in the COCO results format. A record that has a
``file_name`` (as ``tools/infer.py`` writes, whose ``image_id`` is only the position of
the image in its input list) is matched to the ground-truth image whose
``images[].file_name`` is a trailing part of it (``/data/val/images/0001.png`` matches
``0001.png`` or ``images/0001.png``; the longest match wins) and gets that image's id;
records naming no ground-truth image are dropped with a warning. A record without
``file_name`` keeps its ``image_id``. infer.py keeps only detections at or above its
``--score-thr``: run it with ``--score-thr 0.001`` for an AP comparable to the checkpoint form.

Segmentation checkpoint (``python tools/eval.py runs/unet_shapes/best.pt``): the val split's
label maps are compared pixel by pixel with the predictions in one confusion matrix (void
pixels, 255, are ignored). It prints mIoU, pixel accuracy, mean class accuracy, fwIoU and the
IoU of each class (background included), names the classes absent from both the ground truth
and the predictions (IoU nan, left out of the means), and writes ``OUT/metrics.json``.
The config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say how the label maps are
made (flipped / rotated views, image scales, a CRF on colour edges; see
``detseg.segmentation.inference``); ``--set eval.tta=none eval.tta_scales=[1.0]
eval.crf.iterations=0`` gives the plain one-pass prediction.

The evaluations live in ``detseg.evaluation.checkpoint_eval`` (``evaluate_checkpoint``) and
``detseg.evaluation.prediction_files_eval`` (``evaluate_prediction_files``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, cast

from detseg.argument_checks import check_output_folder, score_threshold_problem
from detseg.choices.detection_metrics import METRIC_CHOICES
from detseg.command_line import TOOL_FLAGS, run_command, user_path
from detseg_tools.command_names import tool_name, tool_parser
from detseg_tools.config_flags import SetFlagArgumentParser, add_set_flag

# The modules that do the work (torch, the evaluation) are imported by main, after the arguments
# are parsed: --help and argument errors come back at once.

BACKENDS = ("faster", "pycocotools")
WORST_K, SCORE_THR = 8, 0.3  # defaults of --worst-k and --score-thr
#: The flags of a detection report, of no use for a segmenter (scored by mIoU).
DETECTION_FLAGS = {
    "--backend": "backend",
    "--metric": "metric",
    "--worst-k": "worst_k",
    "--score-thr": "score_thr",
}

#: The flag of each keyword argument of ``evaluate_checkpoint`` and
#: ``evaluate_prediction_files`` that their errors name (``SettingError``): the tool's line
#: names the flag its user typed (``--split test``), not the keyword (``split='test'``).
EVAL_FLAGS = {
    **TOOL_FLAGS,
    "split": "--split",
    "backend": "--backend",
    "metric": "--metric",
    "gt": "--gt",
    "predictions": "--pred",
    "images_dir": "--images",
    "iou_type": "--iou-type",
    "data_file": "--data",
}


#: The example command lines of ``--help``.
EXAMPLES = """\
    python tools/eval.py runs/demo/best.pt
    python tools/eval.py runs/demo/best.pt --split test   # report in runs/demo/eval_test
    python tools/eval.py runs/demo      # a run folder: its best.pt, else its last.pt
    python tools/eval.py runs/demo/best.pt --set data.root=datasets/shapes eval.backend=pycocotools
    python tools/eval.py runs/demo/best.pt --metric voc12 --out runs/demo/eval_voc12
    python tools/eval.py --gt datasets/shapes/annotations/instances_val.json \\
        --pred runs/infer/predictions.json --images datasets/shapes/val/images --out runs/eval"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "eval",
        SetFlagArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        first="CHECKPOINT",
        description="Evaluation report of a detseg checkpoint on its validation split, or of a "
        "predictions file against a COCO ground truth (give CHECKPOINT, or --gt and --pred). "
        "A detector: COCO (or VOC, see --metric) box AP, metrics.json, PR curves, confusion "
        "matrix, report.html; mask AP too for a Mask R-CNN checkpoint or with --iou-type segm. "
        "A segmenter: mIoU, pixel accuracy, frequency-weighted IoU and per-class IoU, "
        "metrics.json and confusion_matrix.png.\n\n" + EXAMPLES,
        epilog="--pred records with a file_name (tools/infer.py's predictions.json) take the id "
        "of the gt image whose images[].file_name ends their path (their own image_id is "
        "ignored); records naming no gt image are dropped with a warning. infer.py keeps only "
        "detections >= its --score-thr: use --score-thr 0.001 there for a comparable AP.",
    )
    parser.add_argument(
        "checkpoint",
        type=user_path,
        nargs="?",
        default=None,
        help="a best.pt / last.pt written by train.py, or a run folder (its best.pt, else "
        "last.pt); leave out for the --gt/--pred form",
    )
    add_set_flag(
        parser,
        "checkpoint form: override keys of the checkpoint's config",
        "data.root=... data.val_ann=... eval.max_images=100 eval.backend=pycocotools "
        "device=cpu model.roi_heads.score_thresh=0.001; segmentation: eval.tta=dihedral (or "
        "hflip, flips, none) averages the probabilities over flipped/rotated views, "
        "eval.tta_scales=[1.0,1.25] also over resized images, eval.crf.iterations=5 (0: off) "
        "refines them with a CRF on colour edges",
    )
    parser.add_argument(
        "--data",
        type=user_path,
        default=None,
        metavar="FILE",
        help="checkpoint form: evaluate on this dataset instead, a data yaml "
        "(a file, a packaged one by name such as datasets/voc, or an Ultralytics data yaml) whose "
        "val split is scored; "
        "its classes must be the checkpoint's",
    )
    parser.add_argument(
        "--split",
        default=None,
        metavar="NAME",
        help="checkpoint form: evaluate this split of the checkpoint's dataset (after --set and "
        "--data) instead of its val split, e.g. test: coco and coco_seg val/images and "
        "annotations/instances_val.json become NAME/images and instances_NAME.json, yolo and "
        "folder_seg images/val (masks/val) become images/NAME, voc, voc_seg and shapes_seg "
        "take data.val_split=NAME (ImageSets/.../NAME.txt); a split that is not there is one "
        "line listing those that are; the report and metrics.json name the split",
    )
    _add_model_free_args(parser.add_argument_group("model-free form (instead of CHECKPOINT)"))
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="COCOeval implementation (default: the config's eval.backend for a checkpoint, "
        "else faster); both give the pycocotools numbers, pycocotools to the last bit and "
        "faster within 1e-15; detectors only (ignored for a segmenter, with a warning)",
    )
    parser.add_argument(
        "--metric",
        choices=METRIC_CHOICES,
        default=None,
        help="detection metric (ignored for a segmenter, with a warning): coco (12 COCO "
        "numbers), voc07 (VOC mAP at IoU 0.5, 11-point) or voc12 (all-point), the VOC ones "
        "ignoring difficult objects, with the COCO numbers beside them; auto: voc07 for a "
        "checkpoint trained on VOC data, else coco "
        "(default: the config's eval.metric for a checkpoint, else coco)",
    )
    parser.add_argument(
        "--out",
        type=user_path,
        default=None,
        help="output folder (default: the folder of CHECKPOINT or of --pred, plus /eval; "
        "runs/x/eval for a run folder runs/x; with --split NAME, /eval_NAME instead, so that "
        "the val split's report is kept)",
    )
    parser.add_argument(
        "--worst-k",
        type=int,
        default=None,
        help=f"worst images shown in report.html (default: {WORST_K}); detectors only (ignored "
        "for a segmenter, with a warning)",
    )
    parser.add_argument(
        "--score-thr",
        type=float,
        default=None,
        help="detections below it are left out of the confusion matrix and the gallery; "
        f"COCO AP uses them all (default: {SCORE_THR}); detectors only (ignored for a "
        "segmenter, with a warning)",
    )
    args = parser.parse_args(argv)
    problem = _form_problem(args)
    if problem:
        no_form = args.checkpoint is None and args.gt is None and args.pred is None
        parser.error(cast(SetFlagArgumentParser, parser).explained(problem, first_missing=no_form))
    return args


def _add_model_free_args(form: Any) -> None:
    """Adds --gt, --pred, --images and --iou-type to an argparse group."""
    form.add_argument(
        "--gt", type=user_path, help="COCO ground-truth json (images, annotations, ...)"
    )
    form.add_argument(
        "--pred",
        type=user_path,
        help="detections json: COCO results, e.g. predictions.json of tools/infer.py "
        "(file_name matching: see below)",
    )
    form.add_argument(
        "--images",
        type=user_path,
        help="folder the gt's images[].file_name are relative to; draws the worst images in "
        "report.html (without it they are listed without pictures)",
    )
    form.add_argument(
        "--iou-type",
        choices=("bbox", "segm"),
        default=None,
        help="what is compared: bbox (boxes; default) or segm (instance masks: every record "
        "and gt annotation needs a segmentation, RLE or polygons; the box numbers are "
        "reported beside the mask numbers, a record without bbox taking its mask's box)",
    )


def _form_problem(args: argparse.Namespace) -> str | None:
    """Why the arguments name no single valid form, or ``None`` when they do."""
    files = args.gt is not None or args.pred is not None
    if args.checkpoint is not None and files:
        return "give either CHECKPOINT or --gt and --pred, not both"
    if args.checkpoint is None and not files:
        return "give a CHECKPOINT, or --gt ANN.json and --pred PREDICTIONS.json (model-free form)"
    if files and (args.gt is None or args.pred is None):
        return "--gt and --pred go together: give both (ground truth and detections json)"
    if args.checkpoint is not None and args.images is not None:
        return "--images is for the --gt/--pred form; a checkpoint uses its val split's images"
    if args.checkpoint is not None and args.iou_type is not None:
        return (
            "--iou-type is for the --gt/--pred form; drop it: a checkpoint whose model predicts "
            "masks (Mask R-CNN) is scored on its masks by itself, and a box-only checkpoint "
            "(Faster R-CNN, RetinaNet, SSD, YOLO) has no masks to score"
        )
    if args.checkpoint is None and args.set:
        return "--set overrides a checkpoint's config; it has no use with --gt/--pred"
    if args.checkpoint is None and args.split is not None:
        return "--split picks a split of a checkpoint's dataset; --gt names the ground truth here"
    if args.checkpoint is None and args.data is not None:
        return "--data replaces a checkpoint's data section; --gt names the ground truth here"
    if args.worst_k is not None and args.worst_k < 0:
        return f"--worst-k must be >= 0, got {args.worst_k}"
    return score_threshold_problem(args.score_thr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.checkpoint is not None:  # a run folder: its best.pt, else last.pt (logged)
        from detseg.run_folders import checkpoint_of

        args.checkpoint = checkpoint_of(args.checkpoint, "evaluating")
    out = check_output_folder(args.out if args.out is not None else _default_output(args))
    summary = _evaluate(args, out)  # staged: a failure leaves the earlier files of OUT
    unused = [flag for flag, key in DETECTION_FLAGS.items() if getattr(args, key) is not None]
    if "mIoU" in summary.metrics and unused:
        logging.getLogger("eval").warning(
            "%s: no use for a segmentation checkpoint (scored by mIoU, pixel by pixel); ignored",
            ", ".join(unused),
        )
    print(summary.text())
    return 0


def _default_output(args: argparse.Namespace) -> Path:
    """The output folder without --out: ``eval`` beside the checkpoint (``eval_NAME`` with
    ``--split NAME``: its report does not replace the val split's) or beside --pred."""
    if args.checkpoint is None:
        return cast(Path, args.pred).parent / "eval"
    from detseg.evaluation.checkpoint_eval import default_output
    from detseg.named_settings import SettingError

    try:
        return default_output(args.checkpoint, args.split)
    except SettingError as error:  # a --split that is no name, named as typed; its type kept
        raise type(error)(error.naming(EVAL_FLAGS)) from error


def _evaluate(args: argparse.Namespace, out: Path) -> Any:
    """The evaluation the arguments ask for, written into ``out``; its ``EvaluationSummary``."""
    if args.checkpoint is not None:
        from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
        from detseg.named_settings import SettingError

        try:
            return evaluate_checkpoint(
                args.checkpoint,
                out=out,
                overrides=args.set,
                backend=args.backend,
                worst_k=WORST_K if args.worst_k is None else args.worst_k,
                score_threshold=SCORE_THR if args.score_thr is None else args.score_thr,
                metric=args.metric,
                data_file=args.data,
                split=args.split,
            )
        except SettingError as error:  # its settings named as the flags typed; its type kept
            raise type(error)(error.naming(EVAL_FLAGS)) from error
    # the model-free form needs no torch: only its own modules are imported
    from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
    from detseg.named_settings import SettingError

    try:
        return evaluate_prediction_files(
            args.gt,
            args.pred,
            out=out,
            images_dir=args.images,
            backend=args.backend or "faster",
            iou_type=args.iou_type or "bbox",
            worst_k=WORST_K if args.worst_k is None else args.worst_k,
            score_threshold=SCORE_THR if args.score_thr is None else args.score_thr,
            metric=args.metric or "coco",
        )
    except SettingError as error:  # its settings named as the flags typed; its type kept
        raise type(error)(error.naming(EVAL_FLAGS)) from error


def cli() -> None:
    """The ``detseg-eval`` command (``pip install`` puts it on the PATH)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    run_command(main, tool_name("eval").error_name)


if __name__ == "__main__":
    cli()

"""Benchmarks for detseg, always side by side with the reference in one run.

    python tools/benchmark.py eval --images 2000 --dets-per-image 32 --iou-type segm
    python tools/benchmark.py model fasterrcnn_mobilenet_v3_large_320_fpn --size 320 --batch 4
    python tools/benchmark.py model deeplabv3_mobilenet_v3_large --size 256 --batch 2 --aux-loss
    python tools/benchmark.py model fasterrcnn_resnet50_fpn --device cuda --amp bf16 --profile
    python tools/benchmark.py model fasterrcnn_resnet50_fpn --device cuda --compile backbone
    python tools/benchmark.py suite --device cuda --only fasterrcnn_bf16 ssd300_bf16
    python tools/benchmark.py postprocess ssd300_vgg16 --batch 4 --threads 1

Sub-commands:
    eval   time COCO evaluation with both backends (faster-coco-eval, pycocotools)
           on a synthetic ground truth and check that they give the same numbers.
    model  training-step and inference throughput (images/s) of a torchvision model and of
           the detseg model converted from it (same weights, same inputs), and their ratio.
           Detection archs first check that both detect the same on the batch (exit status 1
           if not), then time ``tv(images, targets)`` / ``tv(images)`` against
           ``losses`` / ``predict``. Segmentation archs (FCN, DeepLabV3, LR-ASPP) time
           cross-entropy training steps and ``tv(normalised x)["out"]`` against ``model(x)``,
           and first check that the logits and losses agree (exit status 1 if not). Options
           apply to both models alike: ``--amp`` runs the timed calls under ``torch.autocast``
           (bf16 or fp16; fp16 training with a gradient scaler), ``--channels-last`` converts
           both models to ``torch.channels_last`` (the images stay as they are), ``--profile``
           then profiles a few more calls of each kind and prints, per call, kernel launches
           and host-device syncs (CUDA) and the top 10 ops by self CUDA (or CPU) time;
           ``--compile`` runs both models through ``torch.compile`` alike (their backbones, or
           the whole timed calls) and prints the compile time apart.
    suite  the target table: every ``model`` run with a speed target (GPU; on the CPU the
           small CPU settings) in one process, written as a markdown table with the targets
           and a JSON file of the raw figures, plus kernel launches and host syncs per call of
           Faster R-CNN bf16.
    postprocess
           SSD post-processing alone (softmax, decoding, per-class top-k, NMS) of detseg and
           of torchvision on the same head outputs of a randomly initialised twin (so many
           boxes pass the score threshold), its share of whole-model inference, and the ratios.

The measurements live in :mod:`detseg.benchmark`; this script parses the arguments and prints.
The stages of a model comparison (building both models, copying the weights, the agreement
check, the timings) log a line on stderr when they start and one with their seconds when they
end; the standard output holds the report.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from detseg.benchmark.suite import (
    CPU_ROWS,
    GPU_ROWS,
    LAUNCH_FACTOR,
    SYNC_TARGET,
    describe_rows,
    select_rows,
    suite_rows,
)
from detseg.choices.compile_modes import COMPILE_MODES
from detseg.choices.torchvision_archs import DETECTION_TWINS, SEGMENTATION_TWINS, SSD_TWINS
from detseg.command_line import declare_output, run_command, user_path
from detseg_tools.command_names import ExamplesDefaultsHelpFormatter, tool_name, tool_parser

# The modules that do the work (torch, the benchmarks) are imported by the sub-commands' run_*
# functions, after the arguments are parsed: --help and argument errors come back at once.


def positive_int(text: str) -> int:
    """argparse type of a count that must be at least 1 (images, batch, repeats, size)."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type of a number that may be 0 but not negative (seeds, threads)."""
    return _int_at_least(text, 0)


def device_name(text: str) -> str:
    """argparse type of ``--device``: a device this PyTorch and machine can use (``auto`` is
    resolved to ``cuda`` or ``cpu``); otherwise the argparse error saying what to use.

    ``cpu`` is always usable: it is returned without importing torch (argparse converts the
    default ``--device cpu`` even before it reports a missing argument)."""
    if text == "cpu":
        return text
    from detseg.engine.runtime.device import resolve_device

    try:
        return str(resolve_device(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _int_at_least(text: str, minimum: int) -> int:
    """``text`` as an int ``>= minimum``; otherwise the argparse error of its flag."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def add_timing_arguments(sub: argparse.ArgumentParser, batch_help: str) -> None:
    """The flags of a timed comparison (``model``, ``postprocess``): ``--batch``, ``--repeats``,
    ``--device``, ``--threads``, ``--seed``."""
    sub.add_argument("--batch", type=positive_int, default=4, help=batch_help)
    sub.add_argument(
        "--repeats", type=positive_int, default=5, help="timed calls (median reported)"
    )
    sub.add_argument(
        "--device", type=device_name, default="cpu", help="torch device: cpu, cuda, cuda:N or auto"
    )
    sub.add_argument(
        "--threads",
        type=non_negative_int,
        default=0,
        help="torch CPU threads (0: torch's own setting)",
    )
    sub.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the weights and inputs"
    )


def run_eval(args: argparse.Namespace) -> int:
    """The ``eval`` sub-command: returns the exit status (1 when the backends disagree)."""
    from detseg.benchmark.coco_backends import compare_coco_backends, format_backend_comparison
    from detseg.benchmark.synthetic_coco import describe_synthetic_coco, synthetic_coco

    tic = time.perf_counter()
    gt, dets = synthetic_coco(
        args.images, args.dets_per_image, args.num_classes, args.iou_type, args.seed
    )
    seconds = time.perf_counter() - tic
    print(f"{describe_synthetic_coco(gt, dets, args.iou_type)} (generated in {seconds:.1f} s)")
    result = compare_coco_backends(gt, dets, args.iou_type, repeats=args.repeats)
    print("\n".join(format_backend_comparison(result)))
    return 0 if result.agree else 1


def run_model(args: argparse.Namespace) -> int:
    """The ``model`` sub-command: detseg vs torchvision throughput for one architecture.

    Returns the exit status: 1 when a segmenter's logits or losses, or a detector's
    detections, disagree with torchvision's, else 0.

    Raises:
        ValueError: Arguments the architecture cannot take (``run_command`` exits with 2).
    """
    import torch

    from detseg.benchmark.compilation import check_compiler
    from detseg.benchmark.model_vs_torchvision import (
        benchmark_model,
        format_model_report,
        outputs_agree,
    )

    check_compiler(args.compile, args.device)  # before minutes of building and checking
    if args.threads:
        torch.set_num_threads(args.threads)
    result = benchmark_model(
        args.arch,
        size=args.size,
        batch=args.batch,
        repeats=args.repeats,
        device=args.device,
        seed=args.seed,
        amp=args.amp,
        channels_last=args.channels_last,
        profile=args.profile,
        aux_loss=args.aux_loss,
        compile_mode=args.compile,
    )
    print("\n".join(format_model_report(result)))
    return 0 if outputs_agree(result) else 1


def run_suite_command(args: argparse.Namespace) -> int:
    """The ``suite`` sub-command: 1 when a row failed or a model's outputs differ, else 0
    (targets that are not met do not change the exit status)."""
    import torch

    from detseg.benchmark.model_vs_torchvision import outputs_agree
    from detseg.benchmark.suite_runner import run_suite

    rows = select_rows(suite_rows(args.device), args.only or ())
    out = args.out or Path("runs/benchmark") / f"suite_{torch.device(args.device).type}.md"
    # the default too, and the JSON beside it, for the error line of an unwritable output
    declare_output(out)
    declare_output(out.with_suffix(".json"))
    results = run_suite(
        rows,
        args.device,
        out,
        args.repeats,
        args.seed,
        progress=lambda line: print(line, flush=True),
        # --only reruns rows of the report: the others measured before on this device stay
        table=suite_rows(args.device) if args.only else None,
    )
    failed = [r for r in results if r.comparison is None or not outputs_agree(r.comparison)]
    return 1 if failed else 0


def run_postprocess(args: argparse.Namespace) -> int:
    """The ``postprocess`` sub-command: 1 when detseg and torchvision detect differently."""
    import torch

    from detseg.benchmark.ssd_postprocess import (
        benchmark_ssd_postprocess,
        format_postprocess_report,
    )

    if args.threads:
        torch.set_num_threads(args.threads)
    result = benchmark_ssd_postprocess(args.arch, args.batch, args.repeats, args.device, args.seed)
    print("\n".join(format_postprocess_report(result)))
    return 0 if result.same_detections else 1


def add_postprocess_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "postprocess",
        help="SSD post-processing time, detseg vs torchvision, on the same head outputs",
        description="SSD post-processing alone (softmax, box decoding, per-class top-k, NMS) of "
        "detseg and of torchvision on the same head outputs of a randomly initialised twin (so "
        "many boxes pass the score threshold), its share of whole-model inference, and the "
        "ratios. Exit status 1 when the two keep different detections.\n\n"
        "    python tools/benchmark.py postprocess ssdlite320_mobilenet_v3_large --repeats 3",
        formatter_class=ExamplesDefaultsHelpFormatter,
    )
    sub.add_argument("arch", choices=SSD_TWINS, help="torchvision SSD architecture")
    add_timing_arguments(sub, batch_help="images per call")
    sub.set_defaults(func=run_postprocess)


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(  # the summary and the examples
        "benchmark", description="\n\n".join(__doc__.split("\n\n")[:2])
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_eval_command(commands)
    add_model_command(commands)
    add_postprocess_command(commands)
    add_suite_command(commands)
    return parser


SUITE_DESCRIPTION = f"""\
Run every row of the target table in one process, each as
'benchmark.py model ARCH --device DEVICE' plus the row's flags would, printing progress.
After every row, write a markdown table (torchvision and detseg images/s, ratios, targets,
met or not; the date, commit, torch/torchvision versions and device on top) and a JSON file
of the raw figures next to it. A row that fails (out of memory, an error) is reported in its
row and the next one runs. The profiled row also gives kernel launches and host syncs per
call against their targets (at most {SYNC_TARGET} syncs per detseg training step,
{LAUNCH_FACTOR:g}x fewer launches than torchvision; counted on CUDA only). Exit status 1 when
a row failed or a model's outputs (a segmenter's logits and losses, a detector's detections)
differ from torchvision's; targets not met do not change it.

    python tools/benchmark.py suite --device cpu --only lraspp --repeats 2
    python tools/benchmark.py suite --device cuda --out runs/benchmark/suite_cuda.md"""


def add_suite_command(commands: argparse._SubParsersAction) -> None:
    epilog = ["rows with --device cuda (train / infer ratio targets):", *describe_rows(GPU_ROWS)]
    epilog += ["rows with --device cpu:", *describe_rows(CPU_ROWS)]
    sub = commands.add_parser(
        "suite",
        help="run the target table (every model benchmark with a speed target) in one process",
        description=SUITE_DESCRIPTION,
        epilog="\n".join(epilog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument(
        "--device",
        type=device_name,
        default="cpu",
        help="torch device of every row; cuda runs the GPU table, cpu the small CPU table "
        "(default: cpu)",
    )
    sub.add_argument(
        "--out",
        type=user_path,
        default=None,
        help="markdown file to write; the JSON goes next to it with the suffix .json "
        "(default: runs/benchmark/suite_<cuda|cpu>.md)",
    )
    sub.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only these rows (names listed below; default: every row of the device's "
        "table) and replace them in the existing --out report: its other rows stay, each "
        "with its own date and commit; a report from another device, or one that cannot be "
        "read back, is replaced by a fresh table",
    )
    sub.add_argument(
        "--repeats",
        type=positive_int,
        default=None,
        help="timed calls of every row, median reported (default: each row's own, listed below)",
    )
    sub.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the weights and inputs (default: 0)",
    )
    sub.set_defaults(func=run_suite_command)


def add_model_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "model",
        help="throughput of a detseg model vs its torchvision twin (same weights, same inputs)",
        description="Training-step and inference images/s of a torchvision detection or "
        "segmentation model (random weights) and of the detseg model converted from it, and "
        "their ratio (detseg / torchvision; above 1: detseg is faster), each the median of "
        "--repeats timed calls taken in turn with the other model's, after an untimed warm-up "
        "call. Detection archs first check that both detect the same (eval mode, float32), "
        "segmentation archs that the logits and losses agree; exit status 1 if not.\n\n"
        "    python tools/benchmark.py model lraspp_mobilenet_v3_large --size 128 --repeats 2\n"
        "    python tools/benchmark.py model retinanet_resnet50_fpn --device cuda --amp bf16",
        formatter_class=ExamplesDefaultsHelpFormatter,
    )
    sub.add_argument(
        "arch",
        choices=sorted(DETECTION_TWINS) + sorted(SEGMENTATION_TWINS),
        metavar="ARCH",
        help="torchvision architecture to compare: detection "
        f"({', '.join(sorted(DETECTION_TWINS))}) or segmentation "
        f"({', '.join(sorted(SEGMENTATION_TWINS))})",
    )
    sub.add_argument(
        "--size",
        type=positive_int,
        default=320,
        help="image side in pixels (square images); the SSDs resize every image to their fixed "
        "input (300 or 320 px), so for them it sets only the pixels read and the boxes' scale",
    )
    add_timing_arguments(sub, batch_help="images per training/inference call")
    sub.add_argument(
        "--aux-loss",
        action="store_true",
        help="segmentation FCN/DeepLabV3 only: build the auxiliary head and train it too "
        "(loss = out + 0.5 x aux cross-entropy); torchvision also runs it at inference",
    )
    sub.add_argument(
        "--amp",
        choices=["bf16", "fp16", "none"],
        default="none",
        help="run the timed training steps and inference calls of both models under "
        "torch.autocast with this dtype (bf16 also works on the CPU; fp16 training steps go "
        "through a gradient scaler, which checks the gradients on the host once per step); "
        "none = float32. The agreement checks (detections, logits, losses) run in float32 first",
    )
    sub.add_argument(
        "--channels-last",
        action="store_true",
        help="convert both models' weights to torch.channels_last (NHWC) memory format; the "
        "input images stay contiguous NCHW, and a convolution with channels_last weights gives "
        "channels_last outputs, so the models run in NHWC from their first convolution on",
    )
    sub.add_argument(
        "--profile",
        action="store_true",
        help="after the timings, profile 3 more training steps and 3 inference calls of each "
        "model (after one warm-up call each) and print per call: kernel launches and "
        "host-device synchronisations (CUDA only, 'n/a (cpu)' otherwise) and the top 10 ops by "
        "self CUDA time (CPU time on the CPU) with their share; with --amp bf16 on a CPU this "
        "takes minutes (torch's bf16 CPU convolutions record millions of profiler events)",
    )
    sub.add_argument(
        "--compile",
        choices=COMPILE_MODES,
        default="none",
        help="torch.compile both models the same way before timing: backbone = each model's "
        "feature extractor (backbone with its FPN or extra layers) compiled in place, all = the "
        "whole timed calls (training loss and inference); the first calls compile (3 untimed "
        "warm-up calls instead of 1) and their time beyond the steady state is printed as the "
        "compile time (torchvision's first: it includes the compiler's start-up, and detseg's "
        "identical subgraphs may come from its cache). Inductor on the CPU needs a C++ compiler",
    )
    sub.set_defaults(func=run_model)


def add_eval_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "eval",
        help="time COCO evaluation, faster-coco-eval vs pycocotools, on synthetic data",
        description="Time COCO evaluation with both backends (faster-coco-eval, pycocotools) "
        "on a synthetic ground truth and detections, and check that they give the same "
        "numbers. Exit status 1 when they differ.\n\n"
        "    python tools/benchmark.py eval --images 500 --iou-type segm",
        formatter_class=ExamplesDefaultsHelpFormatter,
    )
    sub.add_argument("--images", type=positive_int, default=2000, help="number of synthetic images")
    sub.add_argument(
        "--dets-per-image",
        type=non_negative_int,
        default=32,
        help="detections per image (70%% near objects)",
    )
    sub.add_argument("--num-classes", type=positive_int, default=80, help="number of categories")
    sub.add_argument(
        "--iou-type", choices=["bbox", "segm"], default="bbox", help="COCO iouType to evaluate"
    )
    sub.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the synthetic data generator"
    )
    sub.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help="timed evaluations per backend, taken in turn after one untimed warm-up on a few "
        "images (the median is reported)",
    )
    sub.set_defaults(func=run_eval)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def cli() -> None:
    """The ``detseg-benchmark`` command (``pip install`` puts it on the PATH).

    The stages of a model comparison (building both models, the agreement check, the timings)
    log a line when they start and one with their seconds when they end, on stderr: the
    standard output keeps the report."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    from tqdm.contrib.logging import logging_redirect_tqdm  # log lines above the timing bars

    with logging_redirect_tqdm():
        run_command(main, tool_name("benchmark").error_name)


if __name__ == "__main__":
    cli()

"""Benchmarks for detseg, always side by side with the reference in one run.

    python tools/benchmark.py eval --images 2000 --dets-per-image 32 [--iou-type bbox] [--seed 0]
    python tools/benchmark.py model fasterrcnn_mobilenet_v3_large_320_fpn [--size 320 --batch 4]
    python tools/benchmark.py model deeplabv3_mobilenet_v3_large [--size 256 --batch 2 --aux-loss]
    python tools/benchmark.py model ARCH --device cuda [--amp bf16] [--channels-last] [--profile]
    python tools/benchmark.py postprocess ssd300_vgg16 [--batch 4 --threads 1]

Sub-commands:
    eval   time COCO evaluation with both backends (faster-coco-eval, pycocotools)
           on a synthetic ground truth and check that they give the same numbers.
    model  training-step and inference throughput (images/s) of a torchvision model and of
           the detseg model converted from it (same weights, same inputs), and their ratio.
           Detection archs time ``tv(images, targets)`` / ``tv(images)`` against
           ``losses`` / ``predict``. Segmentation archs (FCN, DeepLabV3, LR-ASPP) time
           cross-entropy training steps and ``tv(normalised x)["out"]`` against ``model(x)``,
           and first check that the logits and losses agree (exit status 1 if not). Options
           apply to both models alike: ``--amp`` runs the timed calls under ``torch.autocast``
           (bf16 or fp16; fp16 training with a gradient scaler), ``--channels-last`` converts
           both models to ``torch.channels_last`` (the images stay as they are), ``--profile``
           then profiles a few more calls of each kind and prints, per call, kernel launches
           and host-device syncs (CUDA) and the top 10 ops by self CUDA (or CPU) time.
    postprocess
           SSD post-processing alone (softmax, decoding, per-class top-k, NMS) of detseg and
           of torchvision on the same head outputs of a randomly initialised twin (so many
           boxes pass the score threshold), its share of whole-model inference, and the ratios.

The measurements live in :mod:`detseg.benchmark`; this script parses the arguments and prints.
"""

from __future__ import annotations

import argparse
import time

import torch

from detseg.benchmark.coco_backends import compare_coco_backends, format_backend_comparison
from detseg.benchmark.comparison import format_comparison
from detseg.benchmark.detection_vs_torchvision import benchmark_detection
from detseg.benchmark.segmentation_vs_torchvision import (
    benchmark_segmentation,
    check_arguments,
    format_segmentation_report,
)
from detseg.benchmark.ssd_postprocess import benchmark_ssd_postprocess, format_postprocess_report
from detseg.benchmark.synthetic_coco import describe_synthetic_coco, synthetic_coco
from detseg.benchmark.twins import DETECTION_TWINS, SEGMENTATION_TWINS, SSD_TWINS
from detseg.command_line import run_command


def run_eval(args: argparse.Namespace) -> int:
    """The ``eval`` sub-command: returns the exit status (1 when the backends disagree)."""
    tic = time.perf_counter()
    gt, dets = synthetic_coco(
        args.images, args.dets_per_image, args.num_classes, args.iou_type, args.seed
    )
    seconds = time.perf_counter() - tic
    print(f"{describe_synthetic_coco(gt, dets, args.iou_type)} (generated in {seconds:.1f} s)")
    result = compare_coco_backends(gt, dets, args.iou_type)
    print("\n".join(format_backend_comparison(result)))
    return 0 if result.agree else 1


def run_model(args: argparse.Namespace) -> int:
    """The ``model`` sub-command: detseg vs torchvision throughput for one architecture.

    Returns the exit status: 1 when a segmenter's logits or losses disagree with
    torchvision's, else 0.

    Raises:
        ValueError: Arguments the architecture cannot take (``run_command`` exits with 2).
    """
    segmentation = args.arch in SEGMENTATION_TWINS
    if args.aux_loss and not segmentation:
        raise ValueError(f"--aux-loss is for segmentation archs, not {args.arch}")
    if args.threads:
        torch.set_num_threads(args.threads)
    settings = {
        "size": args.size,
        "batch": args.batch,
        "repeats": args.repeats,
        "device": args.device,
        "seed": args.seed,
        "amp": args.amp,
        "channels_last": args.channels_last,
        "profile": args.profile,
    }
    if not segmentation:
        print("\n".join(format_comparison(benchmark_detection(args.arch, **settings))))
        return 0
    check_arguments(args.arch, args.batch, args.aux_loss)
    result = benchmark_segmentation(args.arch, aux_loss=args.aux_loss, **settings)
    print("\n".join(format_segmentation_report(result)))
    return 0 if result.logits_agree and result.losses_agree else 1


def run_postprocess(args: argparse.Namespace) -> int:
    """The ``postprocess`` sub-command: 1 when detseg and torchvision detect differently."""
    if args.threads:
        torch.set_num_threads(args.threads)
    result = benchmark_ssd_postprocess(args.arch, args.batch, args.repeats, args.device, args.seed)
    print("\n".join(format_postprocess_report(result)))
    return 0 if result.same_detections else 1


def add_postprocess_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "postprocess",
        help="SSD post-processing time, detseg vs torchvision, on the same head outputs",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub.add_argument("arch", choices=SSD_TWINS, help="torchvision SSD architecture")
    sub.add_argument("--batch", type=int, default=4, help="images per call")
    sub.add_argument("--repeats", type=int, default=5, help="timed calls (median reported)")
    sub.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    sub.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    sub.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    sub.set_defaults(func=run_postprocess)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_eval_command(commands)
    add_model_command(commands)
    add_postprocess_command(commands)
    return parser


def add_model_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "model",
        help="throughput of a detseg model vs its torchvision twin (same weights, same inputs)",
        description="Training-step and inference images/s of a torchvision detection or "
        "segmentation model (random weights) and of the detseg model converted from it, and "
        "their ratio. Segmentation archs first check that the logits and losses agree.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub.add_argument(
        "arch",
        choices=sorted(DETECTION_TWINS) + sorted(SEGMENTATION_TWINS),
        metavar="ARCH",
        help="torchvision architecture to compare: detection "
        f"({', '.join(sorted(DETECTION_TWINS))}) or segmentation "
        f"({', '.join(sorted(SEGMENTATION_TWINS))})",
    )
    sub.add_argument("--size", type=int, default=320, help="image side in pixels (square images)")
    sub.add_argument("--batch", type=int, default=4, help="images per training/inference call")
    sub.add_argument("--repeats", type=int, default=5, help="timed calls (median reported)")
    sub.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    sub.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    sub.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
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
        "none = float32. Segmentation archs check agreement in float32 first",
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
        "self CUDA time (CPU time on the CPU) with their share",
    )
    sub.set_defaults(func=run_model)


def add_eval_command(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "eval",
        help="time COCO evaluation, faster-coco-eval vs pycocotools, on synthetic data",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub.add_argument("--images", type=int, default=2000, help="number of synthetic images")
    sub.add_argument(
        "--dets-per-image", type=int, default=32, help="detections per image (70%% near objects)"
    )
    sub.add_argument("--num-classes", type=int, default=80, help="number of categories")
    sub.add_argument(
        "--iou-type", choices=["bbox", "segm"], default="bbox", help="COCO iouType to evaluate"
    )
    sub.add_argument("--seed", type=int, default=0, help="seed of the synthetic data generator")
    sub.set_defaults(func=run_eval)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def cli() -> None:
    """The ``detseg-benchmark`` command (``pip install`` puts it on the PATH)."""
    run_command(main, "benchmark")


if __name__ == "__main__":
    cli()

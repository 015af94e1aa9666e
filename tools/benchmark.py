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
           ``losses`` / ``predict``. Segmentation archs (FCN, DeepLabV3, LR-ASPP; the code is
           in ``benchmark_segmentation.py``) time cross-entropy training steps and
           ``tv(normalised x)["out"]`` against ``model(x)``, and first check that the logits
           and losses agree (exit status 1 if not). Options apply to both models alike:
           ``--amp`` runs the timed calls under ``torch.autocast`` (bf16 or fp16; fp16 training
           with a gradient scaler), ``--channels-last`` converts both models to
           ``torch.channels_last`` (the images stay as they are), ``--profile`` then profiles
           a few more calls of each kind and prints, per call, kernel launches and host-device
           syncs (CUDA) and the top 10 ops by self CUDA (or CPU) time.
    postprocess
           SSD post-processing alone (softmax, decoding, per-class top-k, NMS) of detseg and
           of torchvision on the same head outputs of a randomly initialised twin (so many
           boxes pass the score threshold), its share of whole-model inference, and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from detseg.evaluation import coco_evaluate

try:  # tools/ is sys.path[0] when this file runs as a script
    import benchmark_segmentation as segmentation
except ModuleNotFoundError:  # loaded by file path (as the tests do)
    sys.path.append(str(Path(__file__).resolve().parent))
    import benchmark_segmentation as segmentation

TOLERANCE = 1e-12


def synthetic_coco(
    num_images: int, dets_per_image: int, num_classes: int, iou_type: str, seed: int
) -> tuple[dict, list[dict]]:
    """A random COCO ground truth and detections near it (jittered copies plus noise)."""
    rng = np.random.default_rng(seed)
    images, annotations, detections = [], [], []
    for image_id in range(1, num_images + 1):
        width, height = int(rng.integers(320, 640)), int(rng.integers(320, 640))
        images.append({"id": image_id, "width": width, "height": height})
        boxes = _random_boxes(rng, int(rng.integers(0, 16)), width, height)
        labels = rng.integers(1, num_classes + 1, len(boxes))
        for box, label in zip(boxes, labels, strict=True):
            ann = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": int(label),
                "bbox": box.tolist(),
                "area": float(box[2] * box[3]),
                "iscrowd": int(rng.random() < 0.02),
            }
            if iou_type == "segm":
                ann["segmentation"] = [_box_polygon(box)]
            annotations.append(ann)
        det_boxes, det_labels = _noisy_detections(rng, boxes, labels, dets_per_image, num_classes)
        det_boxes = _clip(det_boxes, width, height)
        for box, label, score in zip(
            det_boxes, det_labels, rng.random(len(det_boxes)), strict=True
        ):
            det = {
                "image_id": image_id,
                "category_id": int(label),
                "score": float(score),
                "bbox": box.tolist(),
            }
            if iou_type == "segm":
                rle = mask_utils.frPyObjects([_box_polygon(box)], height, width)[0]
                det["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode()}
            detections.append(det)
    categories = [{"id": c, "name": f"class_{c}"} for c in range(1, num_classes + 1)]
    gt = {"images": images, "annotations": annotations, "categories": categories}
    return gt, detections


def _random_boxes(rng: np.random.Generator, num: int, width: int, height: int) -> np.ndarray:
    """[num, 4] xywh boxes with sides log-uniform in [4, 300] px (all COCO area ranges)."""
    sides = np.exp(rng.uniform(np.log(4), np.log(300), (num, 2)))
    sides = np.minimum(sides, [width - 1, height - 1])
    corners = rng.uniform(0, 1, (num, 2)) * ([width, height] - sides)
    return np.concatenate([corners, sides], axis=1)


def _noisy_detections(rng, boxes, labels, count, num_classes):
    """``count`` detections: jittered ground-truth boxes first, random boxes for the rest."""
    picks = rng.integers(0, len(boxes), count) if len(boxes) else np.zeros(0, int)
    picks = picks[: int(count * 0.7)]
    jitter = rng.normal(0, 0.1, (len(picks), 4)) * np.tile(boxes[picks, 2:], 2)
    near = boxes[picks] + jitter
    far = _random_boxes(rng, count - len(near), 640, 640)
    det_labels = np.concatenate([labels[picks], rng.integers(1, num_classes + 1, len(far))])
    return np.concatenate([near, far]), det_labels


def _clip(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    x1 = np.clip(boxes[:, 0], 0, width - 1)
    y1 = np.clip(boxes[:, 1], 0, height - 1)
    x2 = np.clip(boxes[:, 0] + np.maximum(boxes[:, 2], 1), x1 + 1, width)
    y2 = np.clip(boxes[:, 1] + np.maximum(boxes[:, 3], 1), y1 + 1, height)
    return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)


def _box_polygon(box: np.ndarray) -> list[float]:
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y, x + w, y + h, x, y + h]


def run_eval(args: argparse.Namespace) -> int:
    """The ``eval`` sub-command: returns the exit status (1 when the backends disagree)."""
    tic = time.perf_counter()
    gt, dets = synthetic_coco(
        args.images, args.dets_per_image, args.num_classes, args.iou_type, args.seed
    )
    print(
        f"synthetic COCO ({args.iou_type}): {len(gt['images'])} images, "
        f"{len(gt['annotations'])} objects, {len(dets)} detections, {args.num_classes} classes "
        f"(generated in {time.perf_counter() - tic:.1f} s)"
    )
    results, seconds = {}, {}
    for backend in ("faster", "pycocotools"):
        tic = time.perf_counter()
        results[backend] = coco_evaluate(gt, dets, iou_type=args.iou_type, backend=backend)
        seconds[backend] = time.perf_counter() - tic
        print(f"{backend:>12}: {seconds[backend]:8.2f} s   AP={results[backend]['AP']:.6f}")
    print(f"speed-up faster / pycocotools: {seconds['pycocotools'] / seconds['faster']:.1f}x")
    return _report_agreement(results["faster"], results["pycocotools"])


def _report_agreement(fast: dict, reference: dict) -> int:
    diffs = {k: abs(fast[k] - reference[k]) for k in reference if k != "per_class"}
    for name, metrics in reference["per_class"].items():
        for key, value in metrics.items():
            diffs[f"{name}/{key}"] = abs(fast["per_class"][name][key] - value)
    worst = max(diffs, key=diffs.get)
    agree = diffs[worst] <= TOLERANCE
    print(
        f"numbers agree: {agree} (largest difference {diffs[worst]:.3g} on {worst}, "
        f"over {len(diffs)} numbers; tolerance {TOLERANCE:g})"
    )
    return 0 if agree else 1


# torchvision detection builders with a detseg twin (built with random weights here)
TWINS = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "retinanet_resnet50_fpn",
    "retinanet_resnet50_fpn_v2",
    "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
)


def run_model(args: argparse.Namespace) -> int:
    """The ``model`` sub-command: detseg vs torchvision throughput for one architecture."""
    if args.arch in segmentation.TWINS:
        return segmentation.run_model(args)
    if args.aux_loss:
        print(f"error: --aux-loss is for segmentation archs, not {args.arch}", file=sys.stderr)
        return 2
    import torch
    import torchvision.models.detection as tv_detection

    from detseg.engine.profiling import format_profiles, profile_models
    from detseg.engine.throughput import AMP_DTYPES, compare_throughput, random_detection_batch
    from detseg.models import from_torchvision

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    amp = AMP_DTYPES[args.amp]
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    builder = getattr(tv_detection, args.arch)
    tv_kwargs = {"weights": None, "weights_backbone": None}
    if "ssd" not in args.arch:
        tv_kwargs.update(min_size=args.size, max_size=args.size)
    twin = builder(**tv_kwargs).to(device)
    ours = from_torchvision(twin).to(device)
    twin, ours = twin.to(memory_format=memory_format), ours.to(memory_format=memory_format)
    images, targets = random_detection_batch(args.batch, args.size, 90, device, args.seed)
    print(
        f"{args.arch}: batch {args.batch} x {args.size} px on {device} "
        f"({torch.get_num_threads()} threads), {args.repeats} timed repetitions, "
        f"amp {args.amp}, {'channels_last' if args.channels_last else 'contiguous'} weights"
    )
    models = {
        "torchvision": (twin, lambda: twin(images, targets), lambda: twin(images)),
        "detseg": (ours, lambda: ours.losses(images, targets), lambda: ours.predict(images)),
    }
    train, infer = compare_throughput(models, args.batch, device, args.repeats, amp)
    for name in ("torchvision", "detseg"):
        print(f"{name:>12}: train {train[name]:7.2f} img/s   infer {infer[name]:7.2f} img/s")
    print(
        f"ratio detseg / torchvision: train {train['detseg'] / train['torchvision']:.2f}x   "
        f"infer {infer['detseg'] / infer['torchvision']:.2f}x"
    )
    if args.profile:
        print("\n".join(format_profiles(profile_models(models, device, amp))))
    return 0


SSD_TWINS = ("ssd300_vgg16", "ssdlite320_mobilenet_v3_large")


def _ssd_head_outputs(twin, images):
    """The torchvision SSD's head outputs, default boxes (one tensor) and resized sizes."""
    import torch

    with torch.no_grad():
        batch, _ = twin.transform(images)
        features = list(twin.backbone(batch.tensors).values())
        outputs = twin.head(features)
        anchors = twin.anchor_generator(batch, features)
    if not all(torch.equal(a, anchors[0]) for a in anchors):
        raise RuntimeError("torchvision gave different default boxes per image")
    return outputs, anchors[0], batch.image_sizes


def run_postprocess(args: argparse.Namespace) -> int:
    """The ``postprocess`` sub-command: SSD post-processing time, detseg vs torchvision.

    The head outputs and default boxes come from the torchvision twin; detseg's
    ``SSD.postprocess`` gets the same tensors (its default boxes are shared by every image).
    Returns 1 when the two give different detections.
    """
    import torch
    import torchvision.models.detection as tv_detection

    from detseg.engine.throughput import measure, random_detection_batch
    from detseg.models import from_torchvision

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    twin = getattr(tv_detection, args.arch)(weights=None, weights_backbone=None).to(device).eval()
    ours = from_torchvision(twin).to(device).eval()
    images, _ = random_detection_batch(args.batch, 320, 90, device, args.seed)
    tv_outputs, anchors, sizes = _ssd_head_outputs(twin, images)
    outputs = {"cls_logits": tv_outputs["cls_logits"], "box_deltas": tv_outputs["bbox_regression"]}
    scores = tv_outputs["cls_logits"].softmax(-1)[..., 1:]
    passing = (scores > twin.score_thresh).sum().item() / len(images)
    print(
        f"{args.arch} (random init): batch {args.batch} on {device} "
        f"({torch.get_num_threads()} threads), {anchors.shape[0]} default boxes x "
        f"{scores.shape[-1]} classes, {passing:.0f} (box, class) pairs per image above "
        f"score_thresh={twin.score_thresh}, {args.repeats} timed repetitions"
    )
    calls = {
        "torchvision": (
            lambda: twin.postprocess_detections(tv_outputs, [anchors] * len(images), sizes),
            lambda: twin(images),
        ),
        "detseg": (
            lambda: ours.postprocess(outputs, anchors, [anchors.shape[0]], sizes),
            lambda: ours.predict(images),
        ),
    }

    def ms_per_image(call) -> float:
        return 1000.0 / measure(call, args.batch, device, args.repeats).images_per_s

    post, whole = {}, {}
    with torch.no_grad():
        for name, (post_fn, infer_fn) in calls.items():
            post[name], whole[name] = ms_per_image(post_fn), ms_per_image(infer_fn)
            print(
                f"{name:>12}: post-processing {post[name]:8.1f} ms/image   whole inference "
                f"{whole[name]:8.1f} ms/image   post-processing share "
                f"{100 * post[name] / whole[name]:5.1f}%"
            )
        same = _same_detections(calls["torchvision"][0](), calls["detseg"][0]())
    print(
        f"speed-up detseg vs torchvision: post-processing "
        f"{post['torchvision'] / post['detseg']:.1f}x   whole inference "
        f"{whole['torchvision'] / whole['detseg']:.2f}x"
    )
    print(f"same detections: {same}")
    return 0 if same else 1


def _same_detections(reference: list[dict], ours: list[dict]) -> bool:
    """Equal labels and scores, boxes within 1e-4 px, for every image."""
    import torch

    for ref, det in zip(reference, ours, strict=True):
        if not torch.equal(ref["labels"], det["labels"]):
            return False
        if not torch.allclose(ref["scores"], det["scores"], rtol=1e-5, atol=1e-6):
            return False
        if not torch.allclose(ref["boxes"], det["boxes"], rtol=1e-5, atol=1e-4):
            return False
    return True


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
        choices=sorted(TWINS) + sorted(segmentation.TWINS),
        metavar="ARCH",
        help="torchvision architecture to compare: detection "
        f"({', '.join(sorted(TWINS))}) or segmentation ({', '.join(sorted(segmentation.TWINS))})",
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


if __name__ == "__main__":
    sys.exit(main())

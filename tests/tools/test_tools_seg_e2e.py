"""End to end for segmentation: tools/train.py -> --resume -> tools/eval.py -> tools/infer.py.

A tiny U-Net (8 channels, 2 downsamplings) trains for 2 iterations on a generated 64 px shapes
set, in this process on one thread, through ``detseg.engine.training.train`` (the function
tools/train.py runs). eval.py and infer.py run as commands, each in a process of its own,
where their printed output and exit code are checked (``run_tool`` of tests/conftest.py), else
through the functions they call (``evaluate_checkpoint``, ``predict_checkpoint``). Every
segmentation config then trains one iteration on the same set.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from detseg.config import ConfigError, load_config
from detseg.data.image_io import read_image
from detseg.data.label_maps import read_label_map
from detseg.data.registry import build_dataset
from detseg.data.seg_transforms import (
    apply_segmentation_augmentations,
    build_segmentation_augmentations,
)
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint, load_model
from detseg.engine.records import read_metrics
from detseg.engine.training import train
from detseg.engine.validation import SEG_KEYS
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.segmentation import segmentation_metrics
from detseg.predict_images import predict_checkpoint
from detseg.segmentation.crf import LocalCRF
from detseg.segmentation.inference import SegmentationInference
from detseg.segmentation.tta import predict_with_tta

REPO = Path(__file__).resolve().parents[2]
CONFIG = "configs/segmentation/unet_shapes.yaml"
TINY = [
    "model.base_channels=8",
    "model.depth=2",
    "model.loss.kind=ce+dice",  # the records below check that the two terms sum to the loss
    "data.augmentations=[{name: RandomCrop, height: 48, width: 48}, {name: HorizontalFlip}]",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.log_every=1",
    "train.warmup_iters=1",
    "eval.batch_size=3",  # 4 val images: a full and a partial batch
    "device=cpu",
]


@pytest.fixture(scope="module")
def train_config():
    """``train_config(config, work_dir, sets, resume=False)``: the exit code of a training run
    in this process on one thread."""

    def run(config: str, work_dir: Path, sets: list[str], resume: bool = False) -> int:
        return train(load_config(REPO / config, sets), work_dir, resume=resume).exit_code

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield run
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seg_shapes")
    generate_shapes(root, num_train=8, num_val=4, size=64, seed=0)
    return root


@pytest.fixture(scope="module")
def run_dir(shapes, tmp_path_factory, train_config) -> Path:
    work_dir = tmp_path_factory.mktemp("seg_run")
    sets = [*TINY, f"data.root={shapes}", "train.max_iters=2"]
    assert train_config(CONFIG, work_dir, sets) == 0
    return work_dir


def test_train_writes_miou_records_and_checkpoints(run_dir, shapes):
    for name in ("config.yaml", "metrics.jsonl", "last.pt", "best.pt"):
        assert (run_dir / name).is_file(), name
    records = read_metrics(run_dir / "metrics.jsonl")
    train = [r for r in records if r["type"] == "train"]
    assert [r["iteration"] for r in train] == [0, 1]
    # the config trains ce + dice + deep supervision of the coarser decoder outputs
    parts = ("loss_seg", "loss_dice", "loss_deep")
    assert all(r["loss"] == pytest.approx(sum(r[k] for k in parts)) for r in train)
    assert all(r["loss_seg"] > 0 and 0 < r["loss_dice"] <= 1 for r in train)
    assert all(r["loss_deep"] > 0 for r in train)
    val = [r for r in records if r["type"] == "val"]
    assert len(val) == 1 and set(SEG_KEYS) <= set(val[0]) and val[0]["images"] == 4
    best, last = load_checkpoint(run_dir / "best.pt"), load_checkpoint(run_dir / "last.pt")
    assert len(val[0]["IoU"]) == len(best["classes"]) + 1  # background + the shapes
    assert best["classes"] == build_dataset({"format": "shapes_seg", "root": shapes}, "val").classes
    assert best["meta"]["metrics"]["mIoU"] == val[0]["mIoU"] and best["meta"]["cat_ids"] is None
    assert best["meta"]["run"]["best_score"] == val[0]["mIoU"]
    assert "optimizer" in last and "optimizer" not in best


def test_validation_miou_matches_metrics_of_the_whole_images(run_dir, shapes):
    """The streaming, padded evaluation equals the metrics of per-image predictions."""
    model, _, _ = load_model(run_dir / "best.pt", "cpu")
    val_set = build_dataset({"format": "shapes_seg", "root": shapes}, "val")
    preds, targets = [], []
    with torch.no_grad():
        for image, mask in (val_set[i] for i in range(len(val_set))):
            preds.append(model.predict(image[None])[0])
            targets.append(mask)
    expected = segmentation_metrics(preds, targets, num_classes=len(val_set.classes) + 1)
    stored = load_checkpoint(run_dir / "best.pt")["meta"]["metrics"]
    assert stored["mIoU"] == pytest.approx(expected["mIoU"], abs=1e-12)
    assert stored["pixel_acc"] == pytest.approx(expected["pixel_acc"], abs=1e-12)


def test_resume_continues_the_iterations(run_dir, shapes, train_config):
    sets = [*TINY, f"data.root={shapes}", "train.max_iters=3"]
    assert train_config(CONFIG, run_dir, sets, resume=True) == 0
    train = [r for r in read_metrics(run_dir / "metrics.jsonl") if r["type"] == "train"]
    assert [(r["epoch"], r["iteration"]) for r in train] == [(0, 0), (0, 1), (1, 2)]
    last = load_checkpoint(run_dir / "last.pt")
    assert last["meta"]["iteration"] == 3 and last["scheduler"]["last_epoch"] == 3


def test_eval_prints_per_class_iou_and_writes_metrics_json(run_dir, run_tool):
    out = run_dir / "eval_out"
    result = run_tool("eval.py", run_dir / "best.pt", "--out", out)
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(SEG_KEYS) <= set(metrics)
    assert list(metrics["IoU"]) == ["background", *load_checkpoint(run_dir / "best.pt")["classes"]]
    # Same weights, same val images: the mIoU recorded during training comes back exactly.
    assert metrics["mIoU"] == load_checkpoint(run_dir / "best.pt")["meta"]["metrics"]["mIoU"]
    assert all(name in printed for name in metrics["IoU"]) and "fwIoU" in printed
    absent = metrics["absent_classes"]
    assert all(metrics["IoU"][name] == "nan" for name in absent)
    assert all(not math.isnan(v) for k, v in metrics["IoU"].items() if k not in absent)
    if absent:
        assert "Absent classes" in printed
    assert printed.startswith(f"Segmentation evaluation of {run_dir / 'best.pt'} on 4 images:")
    assert printed.splitlines()[-1] == f"Wrote {out / 'metrics.json'}"


def test_infer_writes_overlays_and_label_maps_and_reports_a_corrupt_input(
    run_dir, shapes, run_tool, tmp_path
):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really an image")
    good = sorted((shapes / "val" / "images").iterdir())[0]
    out = tmp_path / "pred"
    result = run_tool("infer.py", run_dir / "best.pt", good, corrupt, "--out", out)
    assert result.returncode == 2, result.stderr
    assert f"infer: error: cannot read image {corrupt}: " in result.stderr
    assert result.stdout.splitlines()[-1].startswith("1 image segmented: overlays in")
    assert [p.name for p in out.glob("*.png")] == [good.name]
    [line] = [x for x in result.stderr.splitlines() if f"{good}: " in x and " -> " in x]
    logged = line.split(f"{good}: ")[1].split(" -> ")[0].split(", ")  # class names, not ids
    assert logged and set(logged) <= {
        "background",
        *load_checkpoint(run_dir / "best.pt")["classes"],
    }
    overlay = read_image(out / good.name)
    assert overlay.shape[1] == 64 and overlay.shape[2] > 64  # image + legend panel
    labels = read_label_map(out / "labels" / good.name)
    model, _, _ = load_model(run_dir / "best.pt", "cpu")
    expected = model.predict(read_image(good)[None])[0]
    assert labels.shape == (64, 64) and labels.tolist() == expected.tolist()


def test_eval_and_infer_with_test_time_augmentation(run_dir, shapes, tmp_path):
    out = tmp_path / "eval_tta"
    evaluate_checkpoint(run_dir / "best.pt", out, overrides=["eval.tta=dihedral"])
    written = json.loads((out / "metrics.json").read_text())
    assert written["info"]["tta"] == "dihedral"
    model, _, _ = load_model(run_dir / "best.pt", "cpu")
    val = sorted((shapes / "val" / "images").iterdir())
    images = torch.stack([read_image(p) for p in val])
    masks = torch.stack(
        [torch.from_numpy(read_label_map(shapes / "masks" / "val" / p.name)).long() for p in val]
    )
    labels = predict_with_tta(model, images, "dihedral")
    expected = segmentation_metrics(labels, masks, len(written["IoU"]))
    assert written["mIoU"] == pytest.approx(expected["mIoU"], abs=1e-12)
    pred = tmp_path / "pred_tta"
    run = predict_checkpoint(run_dir / "best.pt", [str(val[0])], pred, tta="hflip")
    assert (run.task, run.images, run.failed) == ("segmentation", 1, [])
    labels = read_label_map(pred / "labels" / val[0].name)
    assert labels.tolist() == predict_with_tta(model, images[:1], "hflip")[0].tolist()
    with pytest.raises(ConfigError, match="eval.tta"):
        evaluate_checkpoint(run_dir / "best.pt", overrides=["eval.tta=rotate"])


def test_eval_and_infer_with_scales_and_the_crf(run_dir, shapes, tmp_path):
    keys = ["eval.tta=hflip", "eval.tta_scales=[1.0,1.25]", "eval.crf.iterations=2"]
    out = tmp_path / "eval_crf"
    evaluate_checkpoint(run_dir / "best.pt", out, overrides=keys)
    written = json.loads((out / "metrics.json").read_text())
    assert written["info"]["inference"] == "hflip TTA x scales [1.0, 1.25] + CRF (2 iterations)"
    assert written["info"]["crf"]["iterations"] == 2
    model, _, _ = load_model(run_dir / "best.pt", "cpu")
    val = sorted((shapes / "val" / "images").iterdir())
    images = torch.stack([read_image(p) for p in val])
    masks = torch.stack(
        [torch.from_numpy(read_label_map(shapes / "masks" / "val" / p.name)).long() for p in val]
    )
    inference = SegmentationInference("hflip", (1.0, 1.25), LocalCRF(iterations=2))
    labels = inference(model, images)
    expected = segmentation_metrics(labels, masks, len(written["IoU"]))
    assert written["mIoU"] == pytest.approx(expected["mIoU"], abs=1e-12)
    # plain (infer.py --plain) ignores a checkpoint's TTA / CRF: exactly model.predict.
    pred = tmp_path / "pred_plain"
    predict_checkpoint(run_dir / "best.pt", [str(val[0])], pred, tta="flips", plain=True)
    plain = read_label_map(pred / "labels" / val[0].name)
    assert plain.tolist() == model.predict(images[:1])[0].tolist()


def test_a_detector_on_segmentation_data_is_a_config_error(shapes, train_config, tmp_path):
    config = tmp_path / "detector_on_masks.yaml"
    model = {"name": "faster_rcnn", "backbone": "resnet18", "fpn": False, "min_size": 64}
    data = {"format": "shapes_seg", "root": str(shapes)}
    config.write_text(yaml.safe_dump({"model": model, "data": data, "device": "cpu"}))
    with pytest.raises(ConfigError, match="detection model .* segmentation dataset"):
        train_config(str(config), tmp_path / "run", [])


VOC_ON_SHAPES = ["data.format=shapes_seg", "model.backbone_weights=null"]
# Every segmentation config must train on the shapes set with the overrides its header comment
# documents (plus small sizes for speed). A new config needs an entry here.
SEG_ON_SHAPES = {
    "configs/segmentation/unet_shapes.yaml": [],
    "configs/segmentation/fcn_shapes.yaml": [],
    "configs/segmentation/deeplabv3_mobilenet_v3_shapes.yaml": [],
    "configs/segmentation/deeplabv3plus_shapes.yaml": [],
    "configs/segmentation/deeplabv3_resnet50_voc.yaml": VOC_ON_SHAPES,
    "configs/segmentation/deeplabv3plus_resnet50_voc.yaml": VOC_ON_SHAPES,
    "configs/segmentation/fcn_resnet50_voc.yaml": VOC_ON_SHAPES,
    "configs/segmentation/unet_resnet34_voc.yaml": VOC_ON_SHAPES,
}
SMOKE = [
    "data.augmentations=[{name: RandomCrop, height: 64, width: 64}]",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "eval.max_images=1",
    "eval.batch_size=1",
    "device=cpu",
]


def test_every_segmentation_config_has_shapes_overrides():
    configs = {str(p.relative_to(REPO)) for p in (REPO / "configs" / "segmentation").glob("*")}
    assert configs == set(SEG_ON_SHAPES)


@pytest.mark.parametrize("config", sorted(SEG_ON_SHAPES))
def test_segmentation_config_trains_on_shapes(config, shapes, tmp_path, train_config):
    sets = [f"data.root={shapes}", *SEG_ON_SHAPES[config], *SMOKE]
    assert train_config(config, tmp_path, sets) == 0
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["meta"]["iteration"] == 1 and "mIoU" in last["meta"]["metrics"]
    name = yaml.safe_load((REPO / config).read_text())["model"]["name"]
    assert last["config"]["model"]["name"] == name


@pytest.mark.parametrize("config", sorted(SEG_ON_SHAPES))
def test_train_augmentations_give_fixed_size_crops(config):
    """Batches stack images: each config's train pipeline must end at one size."""
    cfg = load_config(REPO / config)
    pipeline = build_segmentation_augmentations(cfg.data.augmentations, seed=0)
    crop = next(a for a in cfg.data.augmentations if a["name"] == "RandomCrop")
    rng = np.random.default_rng(0)
    for height, width in ((100, 150), (375, 500)):
        image = rng.random((height, width, 3), dtype=np.float32)
        mask = rng.integers(0, 3, (height, width), dtype=np.uint8)
        out_image, out_mask = apply_segmentation_augmentations(pipeline, image, mask)
        assert out_image.shape == (crop["height"], crop["width"], 3)
        assert out_mask.shape == (crop["height"], crop["width"])
        assert set(np.unique(out_mask)) <= {0, 1, 2, 255}  # padding is ignore, not background

"""``model.init_from``: whole-model weights for fine-tuning (detseg.convert.init_weights)."""

from __future__ import annotations

import logging

import pytest
import torch
from torchvision.models import detection as tv_detection

from detseg.config import load_config
from detseg.convert import convert_torchvision
from detseg.convert.init_weights import load_init_weights
from detseg.convert.torchvision_archs import convert_torchvision_state, hub_weights_file
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.models import build_model

ARCH = "fasterrcnn_mobilenet_v3_large_320_fpn"
LAYOUT = "fasterrcnn_mobilenet_v3_large_fpn"  # the first builder with the same tensors
CLASS_LAYERS = ("roi_heads.predictor.cls_score", "roi_heads.predictor.bbox_pred")


@pytest.fixture(scope="module")
def coco_like_file(tmp_path_factory):
    """A random-weight torchvision COCO-shaped model (91 classes) saved as a state-dict file."""
    torch.manual_seed(0)
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=91
    )
    path = tmp_path_factory.mktemp("weights") / "tv_coco.pth"
    state = {k: v for k, v in tv_model.state_dict().items() if "num_batches_tracked" not in k}
    torch.save(state, path)  # like torchvision's COCO files: no BatchNorm counters
    return path, convert_torchvision(tv_model.eval())


def test_torchvision_file_to_five_classes(coco_like_file):
    path, (converted, model_cfg) = coco_like_file
    model = build_model(model_cfg, num_classes=5)
    report = load_init_weights(model, str(path))
    assert report.origin == f"torchvision {LAYOUT}, 91 classes"
    reference, state = converted.state_dict(), model.state_dict()
    shared = [k for k in state if k.startswith(("backbone.", "rpn.", "roi_heads.box_head."))]
    assert len(shared) > 200
    for key in shared:
        assert torch.equal(state[key], reference[key]), key
    reinitialised = sorted(key for key, _, _ in report.reinitialised)
    assert reinitialised == sorted(
        f"{layer}.{p}" for layer in CLASS_LAYERS for p in ("weight", "bias")
    )
    assert state["roi_heads.predictor.cls_score.weight"].shape[0] == 6
    counters = [key for key in state if key.endswith("num_batches_tracked")]
    assert not report.ignored and report.not_in_source == counters  # the file has none
    assert len(report.loaded) == len(state) - 4 - len(counters)
    assert "re-initialised roi_heads.predictor.cls_score.weight: [91, 1024]" in "\n".join(
        report.lines()
    )


def test_detseg_checkpoint_and_state_dict(tmp_path, coco_like_file):
    _, (converted, model_cfg) = coco_like_file
    torch.save({"model": converted.state_dict(), "config": {"model": model_cfg}}, tmp_path / "a.pt")
    model = build_model(model_cfg, num_classes=90)  # torchvision's 91 = 90 + background
    report = load_init_weights(model, str(tmp_path / "a.pt"))
    assert report.origin == "detseg state dict" and not report.reinitialised
    for key, value in model.state_dict().items():
        assert torch.equal(value, converted.state_dict()[key]), key


def test_sources_that_do_not_fit(tmp_path, coco_like_file):
    _, (_, model_cfg) = coco_like_file
    model = build_model(model_cfg, num_classes=5)
    torch.save({"head.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match=r"other\.pth: no tensor fits this model"):
        load_init_weights(model, str(tmp_path / "other.pth"))
    with pytest.raises(FileNotFoundError, match="model.init_from: file not found: .*missing.pt"):
        load_init_weights(model, str(tmp_path / "missing.pt"))
    (tmp_path / "text.pth").write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"^model\.init_from: .*text\.pth is not a checkpoint \(a"):
        load_init_weights(model, str(tmp_path / "text.pth"))
    with pytest.raises(ValueError, match="torchvision:resnet50 is not a torchvision model"):
        load_init_weights(model, "torchvision:resnet50")


def test_torchvision_name_reads_the_hub_cache(tmp_path, monkeypatch, coco_like_file):
    path, (converted, model_cfg) = coco_like_file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="not in the torch hub cache.*curl -L https://"):
        hub_weights_file(ARCH)
    target = tmp_path / "hub" / "checkpoints" / "fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth"
    target.parent.mkdir(parents=True)
    target.write_bytes(path.read_bytes())
    model = build_model(model_cfg, num_classes=5)
    report = load_init_weights(model, f"torchvision:{ARCH}")
    assert len(report.reinitialised) == 4
    assert report.origin == f"torchvision {ARCH}, 91 classes"  # the named builder
    state = convert_torchvision_state(torch.load(path, weights_only=True))
    assert state.arch == LAYOUT and state.num_classes == 91 and state.categories[0] == "person"


def test_training_starts_from_init_weights(tmp_path, coco_like_file, caplog):
    """The shipped fine-tuning config trains on shapes with the (converted) COCO-shaped file."""
    path, (converted, _) = coco_like_file
    generate_shapes(tmp_path / "shapes", num_train=4, num_val=2, size=96, seed=0)
    overrides = [
        f"data.root={tmp_path / 'shapes'}",
        f"model.init_from={path}",
        "model.name=faster_rcnn_mobilenet_v3_large_320_fpn",
        "model.min_size=96",
        "model.max_size=96",
        "train.max_iters=1",
        "train.batch_size=2",
        "train.num_workers=0",
        "train.tensorboard=false",
        "eval.val_loss=false",
        "device=cpu",
    ]
    cfg = load_config("configs/faster_rcnn/faster_rcnn_r50_fpn_finetune.yaml", overrides)
    with caplog.at_level(logging.INFO):
        result = train(cfg, tmp_path / "run")
    assert result.exit_code == 0
    assert f"model.init_from {path} (torchvision {LAYOUT}, 91 classes): loaded" in caplog.text
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=False)["model"]
    assert saved["roi_heads.predictor.cls_score.weight"].shape[0] == 6  # 5 shapes + background

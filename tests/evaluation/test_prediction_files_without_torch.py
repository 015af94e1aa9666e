"""The evaluation of a predictions file (``tools/eval.py --gt --pred``) runs without torch.

Its work is pycocotools' / faster-coco-eval's, numpy's and matplotlib's: the packages it goes
through (``detseg.evaluation``, ``detseg.data``, ``detseg.visualize``) import their names on first
use, so the torch import (seconds of CPU) is left out. Each case runs in a fresh process, so
that the imports of other tests cannot hide one; the ``-X importtime`` report on stderr lists
every module the process imported, those imported inside functions too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from two_image_ground_truth import GT, SQUARE

import detseg.data
import detseg.evaluation
import detseg.visualize
from detseg.engine.validation import COCO_KEYS, SEGM_KEYS, SEGM_PER_CLASS_KEY
from detseg.evaluation import coco

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
PREDICTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "score": 0.9, "segmentation": SQUARE},
    {"file_name": "x/b.png", "category_id": 2, "bbox": [4, 4, 20, 20], "score": 0.8},
    {"image_id": 2, "category_id": 1, "bbox": [0, 0, 9, 9], "score": 0.4},
]


def write_inputs(folder: Path, segm: bool = False) -> tuple[Path, Path]:
    """``(gt json, predictions json)`` in ``folder``; with ``segm`` every record has a mask."""
    records = (
        [{**record, "segmentation": SQUARE} for record in PREDICTIONS] if segm else PREDICTIONS
    )
    gt, pred = folder / "gt.json", folder / "predictions.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(records))
    return gt, pred


def imported_packages(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``python -X importtime args`` run in the repository: the finished process and the
    top-level names of the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=ENV,
        timeout=300,
    )
    report = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return result, {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in report}


@pytest.mark.parametrize(
    "flags",
    [[], ["--metric", "voc07"], ["--iou-type", "segm"], ["--backend", "pycocotools"]],
    ids=lambda flags: " ".join(flags) or "bbox",
)
def test_eval_tool_on_a_predictions_file_imports_no_torch(tmp_path, flags):
    gt, pred = write_inputs(tmp_path, segm="segm" in flags)
    out = tmp_path / "eval"
    argv = ["tools/eval.py", "--gt", str(gt), "--pred", str(pred), "--out", str(out), *flags]
    result, imported = imported_packages(*argv)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["AP50"] > 0.5  # the files were evaluated
    assert "torch" not in imported and "torchvision" not in imported


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_gallery_of_worst_images_is_drawn_without_torch(tmp_path, iou_type):
    """``--images``: the gallery reads the gt's images and draws boxes (and masks) with numpy,
    OpenCV and PIL."""
    gt, pred = write_inputs(tmp_path, segm=iou_type == "segm")
    images = tmp_path / "images"
    images.mkdir()
    for name, grey in (("a.png", 60), ("b.png", 140)):
        Image.fromarray(np.full((48, 64, 3), grey, np.uint8)).save(images / name)
    out = tmp_path / "eval"
    argv = ["tools/eval.py", "--gt", str(gt), "--pred", str(pred), "--images", str(images)]
    result, imported = imported_packages(*argv, "--iou-type", iou_type, "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "data:image/jpeg;base64," in (out / "report.html").read_text()  # a picture drawn
    assert "torch" not in imported and "torchvision" not in imported


def test_library_evaluation_leaves_torch_unloaded(tmp_path):
    gt, pred = write_inputs(tmp_path)
    code = (
        "import sys\n"
        "from detseg.evaluation.prediction_files_eval import evaluate_prediction_files\n"
        f"summary = evaluate_prediction_files({str(gt)!r}, {str(pred)!r}, out={str(tmp_path)!r})\n"
        "assert summary.metrics['AP50'] > 0.5, summary.metrics\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=ENV, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("package", [detseg.evaluation, detseg.data, detseg.visualize])
def test_public_names_stay_importable_from_the_packages(package):
    namespace: dict = {}
    exec(f"from {package.__name__} import *", namespace)  # every name of __all__, imported
    assert set(package.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        package.not_a_name  # noqa: B018


def test_coco_keys_of_the_evaluation_are_the_engines():
    assert (coco.COCO_KEYS, coco.SEGM_KEYS) == (COCO_KEYS, SEGM_KEYS)
    assert coco.SEGM_PER_CLASS_KEY == SEGM_PER_CLASS_KEY

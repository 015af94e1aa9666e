"""The pixel confusion matrix of a segmentation evaluation: its counts, its row-normalised
heatmap, and the ``confusion_matrix.png`` that evaluating a segmentation checkpoint writes.

The checkpoint is a tiny U-Net with random weights (no training step) on 3 generated 64 px
shapes images: its labels are poor, which gives a matrix with off-diagonal counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from random_checkpoints import write_checkpoint

import detseg
from detseg.data.image_io import read_image
from detseg.data.label_maps import read_label_map
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.evaluation import checkpoint_eval, checkpoint_segmentation_eval
from detseg.evaluation.confusion_plot import confusion_figure, row_normalized
from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics

NAMES = ["background", "circle", "square"]


def test_the_counts_are_returned_with_the_metrics():
    pred = torch.tensor([[0, 1, 1], [2, 2, 0]])
    target = torch.tensor([[0, 1, 2], [2, 255, 1]])
    metrics = segmentation_metrics([pred], [target], num_classes=3)
    # rows ground truth, columns predicted; the 255 pixel is not counted
    assert metrics["confusion_matrix"] == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    matrix = ConfusionMatrix(3)
    matrix.update(pred, target)
    matrix.update(pred, target)
    assert matrix.compute()["confusion_matrix"] == [[2, 0, 0], [2, 2, 0], [0, 2, 2]]


def test_row_normalized_divides_each_row_by_its_sum():
    shares = row_normalized([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    np.testing.assert_allclose(shares, [[0.75, 0.25, 0], [0, 0, 0], [0.25, 0.25, 0.5]])
    with pytest.raises(ValueError, match="square"):
        row_normalized([[1, 2, 3]])


def test_the_figure_shows_the_row_shares_with_class_names_on_both_axes():
    matrix = np.array([[50, 30, 20], [0, 9, 1], [0, 0, 0]])
    fig = confusion_figure(matrix, NAMES)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), row_normalized(matrix))
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["0.50", "0.30", "0.20"] and texts[4] == "0.90"
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        confusion_figure(matrix, NAMES[:2])


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> tuple[Path, Path]:
    """``(checkpoint, data root)``: a random-weight U-Net and 3 val images of the shapes."""
    root = tmp_path_factory.mktemp("seg_confusion")
    generate_shapes(root / "shapes", num_train=1, num_val=3, size=64, seed=0)
    overrides = [
        "model.base_channels=8",
        "model.depth=2",
        "eval.tta=none",
        "eval.tta_scales=[1.0]",
        "eval.crf.iterations=0",  # labels are model.predict's: the test recomputes them
        "eval.batch_size=2",
        "data.cache=false",
        f"data.root={root / 'shapes'}",
        "device=cpu",
    ]
    write_checkpoint(root / "best.pt", "configs/segmentation/unet_shapes.yaml", overrides)
    return root / "best.pt", root / "shapes"


def test_evaluating_a_segmenter_writes_the_confusion_png_of_its_matrix(
    segmenter, tmp_path, monkeypatch
):
    checkpoint, data = segmenter
    drawn = []

    def spy(matrix, class_names, path, title=""):
        drawn.append((np.asarray(matrix), list(class_names)))
        return save_confusion_matrix(matrix, class_names, path, title)

    save_confusion_matrix = checkpoint_segmentation_eval.save_confusion_matrix
    monkeypatch.setattr(checkpoint_segmentation_eval, "save_confusion_matrix", spy)
    out = tmp_path / "eval"
    summary = checkpoint_eval.evaluate_checkpoint(checkpoint, out)

    png = out / "confusion_matrix.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = cv2.imread(str(png)).shape[:2]
    assert height > 200 and width > 200
    assert f"Wrote {png}" in summary.wrote and summary.wrote[-1] == f"Wrote {out / 'metrics.json'}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["info"]["confusion_matrix"] == "confusion_matrix.png"

    # the plotted matrix is the pixel confusion matrix of the model's own labels
    model = detseg.load(checkpoint, device="cpu").model
    images = sorted((data / "val" / "images").iterdir())
    with torch.no_grad():
        preds = [model.predict(read_image(p)[None])[0] for p in images]
    targets = [read_label_map(data / "masks" / "val" / f"{p.stem}.png") for p in images]
    expected = np.asarray(
        segmentation_metrics(preds, targets, len(SHAPE_CLASSES) + 1)["confusion_matrix"]
    )
    assert len(drawn) == 1
    matrix, names = drawn[0]
    assert names == ["background", *SHAPE_CLASSES]
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == 3 * 64 * 64 and (matrix - np.diag(np.diag(matrix))).sum() > 0
    shares = confusion_figure(matrix, names).axes[0].images[0].get_array()
    np.testing.assert_allclose(shares, row_normalized(expected))

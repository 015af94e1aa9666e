"""The table of an empty confusion matrix whose metrics do not count the images (a bare
``ConfusionMatrix.compute()``): the note reads as a sentence, without a count."""

from __future__ import annotations

import torch

from detseg.engine.validation.segmentation import segmentation_table
from detseg.evaluation.segmentation import ConfusionMatrix

CLASSES = ["circle", "square"]


def test_void_ground_truth_without_an_image_count_reads_as_a_sentence() -> None:
    matrix = ConfusionMatrix(len(CLASSES) + 1)
    matrix.update(torch.zeros(1, 4, 4, dtype=torch.int64), torch.full((1, 4, 4), 255))
    text = segmentation_table(matrix.compute(), CLASSES)
    assert text.endswith(
        "No pixel was scored: the ground truth of the image(s) is void (255) everywhere, so "
        "every number is nan; check the label maps (detseg-check-data, tools/check_data.py, "
        "counts each class's pixels)"
    )
    assert "the the" not in text

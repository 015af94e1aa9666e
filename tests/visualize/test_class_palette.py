"""Class colours stay told apart for datasets with many classes (ADE20K: 150)."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import NO_DETECTIONS_COLOR, PALETTE_SIZE, class_colors


def _closest_pair(colors: list[tuple[int, int, int]]) -> float:
    """Smallest RGB (Euclidean) distance between two of ``colors``."""
    rgb = np.array(colors, dtype=np.float64)
    distances = np.linalg.norm(rgb[:, None] - rgb[None], axis=2)
    return float(distances[np.triu_indices(len(rgb), 1)].min())


@pytest.mark.parametrize(("num_classes", "least"), [(80, 50), (150, 30), (256, 25)])
def test_no_two_class_colours_are_near_alike(num_classes: int, least: float) -> None:
    assert _closest_pair(class_colors(num_classes)) > least


def test_colours_are_a_stable_prefix_and_never_grey() -> None:
    assert class_colors(256)[:150] == class_colors(150)
    assert len(set(class_colors(PALETTE_SIZE))) == PALETTE_SIZE
    rgb = np.array(class_colors(PALETTE_SIZE), dtype=np.float64)
    assert (rgb.max(axis=1) - rgb.min(axis=1) >= 60).all()  # saturated: no grey
    assert np.linalg.norm(rgb - NO_DETECTIONS_COLOR, axis=1).min() > 50


def test_colours_repeat_beyond_the_palette() -> None:
    colors = class_colors(PALETTE_SIZE + 2)
    assert colors[PALETTE_SIZE:] == colors[:2]

"""The converter's output folder: not the source, and not inside it."""

from __future__ import annotations

import pytest

from detseg.convert.datasets import convert_dataset


def test_the_source_folder_is_refused(shapes_coco):
    with pytest.raises(ValueError, match="is the source folder: choose another one"):
        convert_dataset(shapes_coco, shapes_coco, "coco", "yolo", progress=False)


def test_a_folder_inside_the_source_is_refused(shapes_coco):
    inside = shapes_coco / "as_yolo"
    with pytest.raises(ValueError, match="is inside the source folder .*outside it"):
        convert_dataset(shapes_coco, inside, "coco", "yolo", progress=False)
    assert not inside.exists()  # refused before anything is written

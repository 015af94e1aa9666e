"""``save_rgb`` / ``save_label_map`` with the image given first (``cv2.imwrite`` order is
``(path, image)`` too, but ``Image.save`` and habit put the image first): one ``TypeError`` that
gives the order, not pathlib's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.visualize import save_label_map, save_rgb


def test_save_rgb_with_the_image_first(tmp_path) -> None:
    image = torch.rand(3, 8, 8)
    with pytest.raises(TypeError, match=r"save_rgb\(path, image\): the file name comes first"):
        save_rgb(image, tmp_path / "x.png")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_save_label_map_with_the_map_first(tmp_path) -> None:
    label_map = np.zeros((8, 8), dtype=np.int64)
    with pytest.raises(TypeError, match=r"save_label_map\(path, label_map\).*got ndarray"):
        save_label_map(label_map, tmp_path / "x.png")  # type: ignore[arg-type]

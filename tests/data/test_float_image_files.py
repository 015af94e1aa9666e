"""Float image files (a float32 TIFF, as GDAL and remote-sensing tools write) must hold 0..1:
one of 0..255 values is refused as unreadable, naming the file, its maximum and the fix,
rather than clipped to white; a slight overshoot of 1 is clipped."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.data.image_io import (
    ImageReadError,
    read_image,
    read_rgb_array,
    read_stored_rgb,
    to_unit_float,
)
from detseg.data.masks import FolderSegmentation


def _float_tiff(path: Path, high: float) -> Path:
    pixels = np.linspace(0.0, high, 4 * 6 * 3, dtype=np.float32).reshape(4, 6, 3)
    assert cv2.imwrite(str(path), pixels)
    return path


def test_a_float_file_of_0_to_255_values_is_refused_naming_its_maximum(tmp_path: Path) -> None:
    path = _float_tiff(tmp_path / "scene.tif", 196.0)
    for read in (read_image, read_rgb_array, read_stored_rgb):
        with pytest.raises(ImageReadError) as caught:
            read(path)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message
        assert "float pixels up to 196: expected 0..1" in message
        assert "divide by 255 and save again" in message


def test_a_resize_overshoot_is_clipped_and_0_to_65535_values_are_told_so(tmp_path: Path) -> None:
    ringing = _float_tiff(tmp_path / "resized.tif", 1.1)  # a bicubic resize of a 0..1 image
    assert float(to_unit_float(read_rgb_array(ringing), ringing).max()) == 1.0
    with pytest.raises(ImageReadError, match="up to 4000: expected 0..1; divide by 65535 and"):
        read_rgb_array(_float_tiff(tmp_path / "deep.tif", 4000.0))


def test_to_unit_float_refuses_float_values_above_one(tmp_path: Path) -> None:
    pixels = np.full((2, 2, 3), 255.0, dtype=np.float32)
    with pytest.raises(ImageReadError, match="float pixels up to 255: expected 0..1"):
        to_unit_float(pixels, tmp_path / "cached.tif")


def test_a_float_file_in_0_to_1_reads_as_stored_and_a_rounding_overshoot_is_clipped(
    tmp_path: Path,
) -> None:
    path = _float_tiff(tmp_path / "unit.tif", 1.0000001)
    image = read_image(path)
    assert float(image.max()) == 1.0 and float(image.min()) == 0.0
    pixels = np.array([[[0.25, 0.5, 1.0005]]], dtype=np.float32)
    assert to_unit_float(pixels, tmp_path / "x.tif").tolist() == [[[0.25, 0.5, 1.0]]]


def test_nan_pixels_do_not_hide_a_maximum_above_one(tmp_path: Path) -> None:
    pixels = np.array([[[np.nan, 3.0, 0.5]]], dtype=np.float32)
    with pytest.raises(ImageReadError, match="float pixels up to 3: "):
        to_unit_float(pixels, tmp_path / "x.tif")
    only_nan = np.full((1, 1, 3), np.nan, dtype=np.float32)
    assert to_unit_float(only_nan, tmp_path / "y.tif").tolist() == [[[0.0, 0.0, 0.0]]]


def test_a_training_dataset_skips_such_a_file_and_names_it(tmp_path: Path, caplog) -> None:
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    _float_tiff(images / "scene.tif", 196.0)
    _float_tiff(images / "ok.tif", 1.0)
    for stem in ("scene", "ok"):
        assert cv2.imwrite(str(masks / f"{stem}.png"), np.zeros((4, 6), np.uint8))
    dataset = FolderSegmentation(images, masks, ["thing"])
    names = [dataset.image_path(i).name for i in range(len(dataset))]
    with caplog.at_level(logging.WARNING):
        samples = {name: dataset[i] for i, name in enumerate(names)}
    assert samples["scene.tif"] is None
    image, _ = samples["ok.tif"]
    assert float(image.max()) == 1.0
    assert any(
        "scene.tif" in r.getMessage() and "float pixels up to 196" in r.getMessage()
        for r in caplog.records
    )

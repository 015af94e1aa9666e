"""A label map of background and 255 only (a binary mask saving its foreground as 255) is a
warning naming the file: 255 is the ignore value, so such a dataset would train on background
alone and score mIoU 0 with no other sign."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

import detseg.data.label_maps as label_maps
from detseg.data.masks import FolderSegmentation


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As in a new process: nothing warned yet."""
    monkeypatch.setattr(label_maps, "_void_only_reported", False, raising=False)


def folder(tmp_path, masks: list[np.ndarray]) -> FolderSegmentation:
    """A folder dataset of one class with one 8 x 6 image per label map."""
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    for i, mask in enumerate(masks):
        Image.fromarray(np.zeros((8, 6, 3), np.uint8)).save(tmp_path / "images" / f"m{i}.png")
        Image.fromarray(mask.astype(np.uint8)).save(tmp_path / "masks" / f"m{i}.png")
    return FolderSegmentation(tmp_path / "images", tmp_path / "masks", ["cell"])


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def binary_255() -> np.ndarray:
    mask = np.zeros((8, 6), np.uint8)
    mask[2:5, 1:4] = 255
    return mask


def test_a_binary_mask_with_255_foreground_is_named_once(tmp_path, caplog):
    dataset = folder(tmp_path, [binary_255(), binary_255()])
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_maps"):
        dataset[0], dataset[1]
    [message] = warnings_of(caplog)
    assert str(tmp_path / "masks" / "m0.png") in message
    assert "store the foreground as 1" in message


def test_label_maps_with_a_class_or_without_255_are_not_warned_about(tmp_path, caplog):
    labelled = binary_255() // 255  # foreground 1
    labelled[0, :] = 255  # a void border beside a class
    background = np.zeros((8, 6), np.uint8)
    dataset = folder(tmp_path, [labelled, background])
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_maps"):
        dataset[0], dataset[1]
    assert warnings_of(caplog) == []


@pytest.mark.parametrize(
    ("fill", "words"), [(0, "the rest background (0)"), (255, "every pixel ignored")]
)
def test_the_warning_says_whether_any_background_is_left(tmp_path, caplog, fill, words):
    mask = np.full((8, 6), fill, np.uint8)
    mask[2:5, 1:4] = 255
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_maps"):
        folder(tmp_path, [mask])[0]
    [message] = warnings_of(caplog)
    assert f"holds ignored (255) pixels and no pixel of a class 1..1 ({words})" in message

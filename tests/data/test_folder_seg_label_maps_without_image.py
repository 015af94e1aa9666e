"""``format: folder_seg``: a label map whose image is missing (or has a suffix that is not read
as an image) is left out of the dataset, and the reader says so in one warning naming the file,
as it does for an image without a label map."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from detseg.data.masks import FolderSegmentation


def _folders(tmp_path):
    """``a.jpg`` with ``a.png``; ``b.gif`` (not an image suffix) and ``c`` (no image) with
    their label maps; ``notes.txt`` in the masks folder."""
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / "a.jpg")
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / "b.gif")
    for stem in ("a", "b", "c"):
        Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / f"{stem}.png")
    (masks / "notes.txt").write_text("not a label map\n")
    return images, masks


def test_label_maps_without_image_are_listed_and_named(tmp_path, caplog):
    images, masks = _folders(tmp_path)
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_map_pairing"):
        dataset = FolderSegmentation(images, masks, ["x"])
    assert dataset.names == ["a"]
    assert dataset.label_maps_without_image == [masks / "b.png", masks / "c.png"]
    warnings = [r.getMessage() for r in caplog.records if "no image" in r.getMessage()]
    assert len(warnings) == 1
    assert "2 label map(s)" in warnings[0] and "b.png, c.png" in warnings[0]
    assert str(images) in warnings[0] and "notes.txt" not in warnings[0]


def test_no_warning_when_every_label_map_has_its_image(tmp_path, caplog):
    images, masks = _folders(tmp_path)
    (masks / "b.png").unlink()
    (masks / "c.png").unlink()
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_map_pairing"):
        dataset = FolderSegmentation(images, masks, ["x"])
    assert dataset.label_maps_without_image == []
    assert not [r for r in caplog.records if "no image" in r.getMessage()]

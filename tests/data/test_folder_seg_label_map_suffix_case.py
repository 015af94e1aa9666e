"""``format: folder_seg`` pairs a label map whose suffix differs in case (``a.PNG`` for the
default ``.png``), as image suffixes are read in any case and as a case-insensitive file system
pairs it, rather than leaving the image out and naming its label map as one without an image."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from detseg.data.masks import FolderSegmentation


def test_a_label_map_suffix_in_another_case_pairs_its_image(tmp_path, caplog):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for stem, mask_name in (("a", "a.PNG"), ("b", "b.png"), ("c", "c.png")):
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / f"{stem}.png")
        Image.fromarray(np.full((4, 6), 1, np.uint8)).save(masks / mask_name, format="PNG")
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / "c.Png", format="PNG")
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_map_pairing"):
        dataset = FolderSegmentation(images, masks, ["x"])
    assert dataset.names == ["a", "b", "c"]
    assert dataset.mask_path(0) == masks / "a.PNG"
    assert dataset.mask_path(2) == masks / "c.png"  # the name written as mask_suffix wins
    assert dataset.images_without_label_map == []
    assert dataset.label_maps_without_image == [masks / "c.Png"]
    assert int(dataset[0][1].max()) == 1

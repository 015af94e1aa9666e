"""Messages of the segmentation readers name the path pattern and the config key."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation, ShapesSegmentation


def test_a_missing_label_map_shows_the_masks_folder_and_the_stem_pattern(tmp_path, caplog):
    images, masks = tmp_path / "images" / "train", tmp_path / "masks" / "train"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for stem in ("a", "b"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / f"{stem}.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(masks / "a.png")
    with caplog.at_level(logging.WARNING):
        FolderSegmentation(images, masks, ["x"])
    assert f"{masks}/<stem>.png" in caplog.text.replace("\\\\", "/")


def test_an_unknown_shapes_split_names_the_config_keys_and_the_splits(tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_train.json").write_text("{}")
    (tmp_path / "annotations" / "instances_val.json").write_text("{}")
    with pytest.raises(FileNotFoundError) as err:
        ShapesSegmentation(tmp_path, "nope")
    message = str(err.value)
    assert "'nope'" in message and "data.val_split" in message and "train, val" in message

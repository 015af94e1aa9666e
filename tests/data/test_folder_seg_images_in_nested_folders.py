"""``format: folder_seg`` reads the images of ``data.train_images`` itself: when that folder holds
images and also folders of images, the ones inside are not read, and one warning counts them,
names one and says what to do."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from detseg.data.label_map_pairing import images_in_subfolders
from detseg.data.masks import FolderSegmentation


def _folders(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    for folder in (images / "sub" / "deeper", images / ".hidden", masks):
        folder.mkdir(parents=True)
    for name in ("a.png", "sub/b.png", "sub/deeper/c.jpg", ".hidden/d.png", "sub/._e.png"):
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / name, format="PNG")
    (images / "sub" / "notes.txt").write_text("not an image")
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / "a.png")
    return images, masks


def test_images_in_subfolders_are_counted_and_named(tmp_path, caplog):
    images, masks = _folders(tmp_path)
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_map_pairing"):
        dataset = FolderSegmentation(images, masks, ["x"])
    assert dataset.names == ["a"]
    said = [r.getMessage() for r in caplog.records if "folders inside" in r.getMessage()]
    assert said == [
        f"2 image(s) in folders inside {images} are not read (e.g. sub/b.png): folder_seg reads "
        "images_dir itself: move them up or point data.train_images / data.val_images at the "
        "subfolder"
    ]


def test_images_in_subfolders_lists_them_at_any_depth(tmp_path):
    images, _ = _folders(tmp_path)
    assert images_in_subfolders(images) == [images / "sub/b.png", images / "sub/deeper/c.jpg"]


def test_no_warning_without_subfolder_images(tmp_path, caplog):
    images, masks = tmp_path / "images", tmp_path / "masks"
    for folder in (images / "empty", masks):
        folder.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / "a.png")
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / "a.png")
    with caplog.at_level(logging.WARNING, logger="detseg.data.label_map_pairing"):
        FolderSegmentation(images, masks, ["x"])
    assert not [r for r in caplog.records if "folders inside" in r.getMessage()]


def test_a_run_folder_inside_is_no_images_to_name(tmp_path):
    """A work dir kept inside the images folder (its curves.png) is not data to move up."""
    images, _ = _folders(tmp_path)
    for run, files in (("run1", ("config.yaml", "metrics.jsonl")), ("sub/run2", ("last.pt",))):
        (images / run).mkdir()
        for name in files:
            (images / run / name).write_text("")
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / run / "curves.png")
    assert images_in_subfolders(images) == [images / "sub/b.png", images / "sub/deeper/c.jpg"]

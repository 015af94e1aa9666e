"""The segmentation data files of configs/datasets/: they load, replace a segmentation
config's data section, and build their datasets on the layout they describe."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.config import load_config, load_data_file
from detseg.data import build_segmentation_dataset

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "configs" / "datasets"
SEG_CONFIG = REPO / "configs" / "segmentation" / "fcn_shapes.yaml"


def _palette_png(path: Path, values: np.ndarray) -> None:
    """A palette (mode ``P``) label map whose indices are ``values``."""
    image = Image.fromarray(values.astype(np.uint8), mode="P")
    image.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [224, 224, 192] * 253)
    image.save(path)


def _voc_seg(root: Path) -> None:
    """VOC2012 layout: ``a`` in train, ``b`` in val; label maps with 0, 1 and 255."""
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True)
    values = np.zeros((16, 20), np.uint8)
    values[4:12, 5:15], values[4, 5:15] = 1, 255
    for stem, split in (("a", "train"), ("b", "val")):
        cv2.imwrite(str(root / "JPEGImages" / f"{stem}.jpg"), np.zeros((16, 20, 3), np.uint8))
        _palette_png(root / "SegmentationClass" / f"{stem}.png", values)
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text(f"{stem}\n")


def _folder_seg(root: Path) -> None:
    """images/{train,val}/x.jpg with masks/{train,val}/x.png and classes.txt (one class)."""
    values = np.zeros((16, 20), np.uint8)
    values[2:6, 2:6] = 1
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        cv2.imwrite(str(root / "images" / split / "x.jpg"), np.zeros((16, 20, 3), np.uint8))
        cv2.imwrite(str(root / "masks" / split / "x.png"), values)
    (root / "classes.txt").write_text("road\n")


@pytest.mark.parametrize(("name", "make"), [("voc_seg", _voc_seg), ("folder_seg", _folder_seg)])
def test_segmentation_data_file_builds_its_layout(tmp_path, name, make):
    path = DATASETS / f"{name}.yaml"
    assert load_data_file(path)["format"] == name
    assert f"--data configs/datasets/{name}.yaml" in path.read_text()
    make(tmp_path / name)
    cfg = load_config(SEG_CONFIG, [f"data.root={tmp_path / name}"], data_file=path)
    assert cfg.data.format == name
    for split in ("train", "val"):
        dataset = build_segmentation_dataset(cfg.data.dataset_kwargs(), split)
        image, mask = dataset[0]
        assert tuple(image.shape) == (3, 16, 20) and tuple(mask.shape) == (16, 20)
        assert set(np.unique(mask.numpy())) <= {0, 1, 255}
        assert (mask == 1).any()


def test_voc_seg_palette_maps_read_as_indices_with_255_kept(tmp_path):
    _voc_seg(tmp_path / "voc")
    data = {**load_data_file(DATASETS / "voc_seg.yaml"), "root": str(tmp_path / "voc")}
    _, mask = build_segmentation_dataset(data, "train")[0]
    assert sorted(np.unique(mask.numpy()).tolist()) == [0, 1, 255]
    assert (mask[4, 5:15] == 255).all() and (mask[5:12, 5:15] == 1).all()

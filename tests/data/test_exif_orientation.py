"""EXIF orientation: prediction on files applies it; a training dataset applies it only where its
labels were drawn on the displayed photo (their stated size is the stored size transposed).

The rule is described in :mod:`detseg.data.image_io`: ``read_image`` reads stored pixels unless
asked (``apply_exif_orientation``), the first tagged JPEG read as stored is named in a warning.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from detseg.data import CocoDetection, VOCDetection, image_io
from detseg.data.image_io import read_image
from detseg.data.label_maps import check_label_map
from detseg.data.masks import FolderSegmentation
from detseg.image_inputs import read_images

# Stored 20 x 40 (H x W): left half white. Orientation 6 shows it 40 x 20, rotated clockwise,
# so the white half is on top; 8 (counter-clockwise) puts it at the bottom.
STORED = np.zeros((20, 40, 3), dtype=np.uint8)
STORED[:, :20] = 255


def _photo(path, orientation: int = 6):
    image = Image.fromarray(STORED)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, exif=exif.tobytes(), quality=100)
    return path


def _displayed(path) -> torch.Tensor:
    """What a viewer shows: Pillow's exif_transpose, as ``Float[3, H, W]``."""
    with Image.open(path) as opened:
        rgb = np.asarray(ImageOps.exif_transpose(opened).convert("RGB"), dtype=np.float32)
    return torch.from_numpy(rgb.transpose(2, 0, 1) / 255.0)


@pytest.fixture(autouse=True)
def _fresh_report(monkeypatch):
    """Each test starts as a new process would: no orientation reported yet."""
    monkeypatch.setattr(image_io, "_orientation_reported", False, raising=False)


def test_read_image_gives_the_stored_pixels_by_default(tmp_path):
    stored = read_image(_photo(tmp_path / "phone photo é.JPG"))
    assert stored.shape == (3, 20, 40)
    assert float(stored[:, :, :18].min()) > 0.9 and float(stored[:, :, 22:].max()) < 0.1


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 6, 7, 8])
def test_read_image_applies_the_orientation_when_asked(tmp_path, caplog, orientation):
    path = _photo(tmp_path / "a.jpg", orientation)
    with caplog.at_level(logging.WARNING, logger="detseg.data.image_io"):
        displayed = read_image(path, apply_exif_orientation=True)
    torch.testing.assert_close(displayed, _displayed(path), atol=1 / 255, rtol=0)
    assert not caplog.records  # applied: nothing to warn about


def test_prediction_on_image_files_sees_the_photo_upright(tmp_path):
    """``tools/infer.py`` reads its inputs with read_images: a viewer's view of the photo."""
    path = _photo(tmp_path / "a.jpg", 6)
    failed: list[str] = []
    ((read_path, image),) = list(read_images([path], failed))
    assert read_path == path and not failed
    assert image.shape == (3, 40, 20)
    assert float(image[:, :18].min()) > 0.9 and float(image[:, 22:].max()) < 0.1  # white on top


def test_the_first_jpeg_read_as_stored_is_named_in_one_warning(tmp_path, caplog):
    first, second = _photo(tmp_path / "a.jpg", 6), _photo(tmp_path / "b.jpg", 8)
    with caplog.at_level(logging.WARNING, logger="detseg.data.image_io"):
        read_image(first)
        read_image(second)
        read_image(first)
    messages = [r.getMessage() for r in caplog.records if r.name == "detseg.data.image_io"]
    assert len(messages) == 1
    assert str(first) in messages[0] and "EXIF orientation 6" in messages[0]
    assert "read as stored" in messages[0] and "exif_transpose" in messages[0]


def test_upright_and_untagged_images_give_no_warning(tmp_path, caplog):
    upright = _photo(tmp_path / "upright.jpg", 1)
    Image.fromarray(STORED).save(tmp_path / "plain.jpg")
    Image.fromarray(STORED).save(tmp_path / "plain.png")
    with caplog.at_level(logging.WARNING, logger="detseg.data.image_io"):
        for path in (upright, tmp_path / "plain.jpg", tmp_path / "plain.png"):
            assert read_image(path).shape == (3, 20, 40)
    assert not [r for r in caplog.records if r.name == "detseg.data.image_io"]


def test_exif_orientation_reads_the_tag_of_jpeg_bytes_only(tmp_path):
    for orientation in (1, 3, 6, 8):
        data = _photo(tmp_path / f"o{orientation}.jpg", orientation).read_bytes()
        assert image_io.exif_orientation(data) == orientation
    assert image_io.exif_orientation(b"\xff\xd8Exif\x00\x00 not a jpeg") == 1
    assert image_io.exif_orientation(b"") == 1


def _coco(root, stated_hw, bbox):
    (root / "images").mkdir()
    _photo(root / "images" / "a.jpg", 6)
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": bbox, "area": 1.0, "iscrowd": 0}
    entry = {"id": 1, "file_name": "a.jpg", "height": stated_hw[0], "width": stated_hw[1]}
    data = {"images": [entry], "annotations": [ann], "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "images", root / "ann.json")


def test_coco_labels_of_the_displayed_photo_get_the_displayed_pixels(tmp_path, caplog):
    """The entry states 40 x 20 (H x W), the stored 20 x 40 transposed: an annotation tool
    showed the photo upright. The box [0, 0, 20, 18] (x, y, w, h) covers the white top half."""
    dataset = _coco(tmp_path, (40, 20), [0, 0, 20, 18])
    with caplog.at_level(logging.INFO):
        image, target = dataset[0]
    assert image.shape == (3, 40, 20)
    assert float(image[:, :18].min()) > 0.9 and float(image[:, 22:].max()) < 0.1
    assert target["boxes"].tolist() == [[0.0, 0.0, 20.0, 18.0]] and target["dropped_boxes"] == 0
    assert "annotations say" not in caplog.text  # no size mismatch left
    assert "read as displayed" in caplog.text and "a.jpg" in caplog.text


def test_coco_labels_of_the_stored_pixels_keep_the_stored_pixels(tmp_path, caplog):
    dataset = _coco(tmp_path, (20, 40), [0, 0, 18, 20])
    with caplog.at_level(logging.WARNING):
        image, target = dataset[0]
    assert image.shape == (3, 20, 40)
    assert float(image[:, :, :18].min()) > 0.9
    assert target["boxes"].tolist() == [[0.0, 0.0, 18.0, 20.0]]
    assert "read as stored" in caplog.text and "annotations say" not in caplog.text


def test_voc_size_of_the_displayed_photo_gets_the_displayed_pixels(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    _photo(tmp_path / "JPEGImages" / "a.jpg", 8)  # counter-clockwise: white at the bottom
    box = "<bndbox><xmin>1</xmin><ymin>22</ymin><xmax>19</xmax><ymax>39</ymax></bndbox>"
    size = "<size><width>20</width><height>40</height><depth>3</depth></size>"
    xml = f"<annotation>{size}<object><name>cat</name>{box}</object></annotation>"
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    (tmp_path / "ImageSets/Main/trainval.txt").write_text("a\n")
    image, target = VOCDetection(tmp_path, "trainval")[0]
    assert image.shape == (3, 40, 20)
    assert float(image[:, 22:].min()) > 0.9 and float(image[:, :18].max()) < 0.1
    assert target["dropped_boxes"] == 0


@pytest.mark.parametrize("label_hw", [(40, 20), (20, 40)])
def test_a_label_map_follows_its_photo_as_displayed_or_as_stored(tmp_path, label_hw):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    _photo(tmp_path / "images" / "a.jpg", 6)
    Image.fromarray(np.zeros(label_hw, dtype=np.uint8)).save(tmp_path / "masks" / "a.png")
    image, mask = FolderSegmentation(tmp_path / "images", tmp_path / "masks", ["a"])[0]
    assert tuple(mask.shape) == label_hw and tuple(image.shape[1:]) == label_hw


def test_a_swapped_label_map_of_an_untagged_image_is_refused_with_a_rotation_hint():
    displayed = np.zeros((40, 20), dtype=np.uint8)  # drawn on a rotated view
    with pytest.raises(ValueError, match=r"swapped.*EXIF orientation.*exif_transpose"):
        check_label_map(displayed, (20, 40), 1, "masks/photo.png")
    with pytest.raises(ValueError) as other:  # other mismatches keep the plain message
        check_label_map(np.zeros((10, 10), dtype=np.uint8), (20, 40), 1, "masks/photo.png")
    assert "swapped" not in str(other.value) and "masks/photo.png" in str(other.value)

"""The report gallery of a checkpoint evaluation draws each photo as its dataset reads it: a YOLO
dataset reads every JPEG tagged with an EXIF orientation as displayed (half turns and mirrors
too, whose size does not tell), so its boxes, in displayed coordinates, land on the photo."""

from __future__ import annotations

import base64

import cv2
import numpy as np
from PIL import Image

from detseg.data.yolo import YoloTxtDetection
from detseg.engine.validation import DatasetHead, coco_ground_truth
from detseg.evaluation.detection_confusion import detection_confusion
from detseg.evaluation.gallery_sources import gallery_orientation_rule, gallery_sources
from detseg.evaluation.report_gallery import worst_images

# Stored 64 x 96 (H x W), a white square at the top left; orientation 3 (a half turn) shows it
# at the bottom right, where the YOLO label's box is.
STORED = np.zeros((64, 96, 3), dtype=np.uint8)
STORED[4:28, 4:28] = 255
LABEL = "0 0.8333333 0.75 0.25 0.375\n"  # displayed box x 68..92, y 36..60 px


def _yolo_dataset(root):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    photo = Image.fromarray(STORED)
    exif = photo.getexif()
    exif[0x0112] = 3
    photo.save(root / "images" / "a.jpg", exif=exif.tobytes(), quality=100)
    (root / "labels" / "a.txt").write_text(LABEL)
    return YoloTxtDetection(root / "images", classes=["square"])


def _picture(data_uri: str) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(data_uri.split(",", 1)[1]), np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def test_gallery_draws_a_half_turned_yolo_photo_as_displayed(tmp_path):
    val_set = DatasetHead(_yolo_dataset(tmp_path / "data"), 1)
    gt, images_dir = gallery_sources(val_set, coco_ground_truth(val_set).gt)
    (box,) = [ann["bbox"] for ann in gt["annotations"]]
    confusion = detection_confusion(gt, [], 0.5, 0.3)
    (item,), _ = worst_images(
        gt, [], confusion, images_dir, 1, displayed=gallery_orientation_rule(val_set)
    )
    picture = _picture(item.data_uri)
    scale = picture.shape[1] / STORED.shape[1]
    x, y, w, h = (round(v * scale) for v in box)
    inside = picture[y + 6 : y + h - 6, x + 6 : x + w - 6]
    assert inside.mean() > 200  # the white square under the box
    assert picture[6 : 28 * round(scale) - 6, 6 : 28 * round(scale) - 6].mean() < 60

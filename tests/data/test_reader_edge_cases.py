"""Reader edge cases: COCO polygons with a degenerate part, VOC negatives and stale file names,
box masks outside the image."""

import json

import cv2
import numpy as np

from detseg.data import CocoDetection, VOCDetection
from detseg.data.coco_seg import CocoSegmentation

H, W = 48, 64
SQUARE = [10, 10, 30, 10, 30, 30, 10, 30]  # 20 x 20 px


def _write_coco(root, segmentation):
    (root / "images").mkdir()
    assert cv2.imwrite(str(root / "images" / "a.png"), np.zeros((H, W, 3), np.uint8))
    ann = {
        "id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 400.0,
        "bbox": [10, 10, 20, 20], "segmentation": segmentation,
    }  # fmt: skip
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "annotations": [ann],
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))


def test_a_degenerate_polygon_part_does_not_cost_the_instance(tmp_path):
    """pycocotools reads [[x, y, x, y], [...]] as boxes and fails: the square must survive."""
    for name, segmentation in {
        "first": [[1, 1, 3, 3], SQUARE],
        "last": [SQUARE, [1, 1, 3, 3]],
    }.items():
        root = tmp_path / name
        root.mkdir()
        _write_coco(root, segmentation)
        detection = CocoDetection(root / "images", root / "ann.json", load_masks=True)
        _, target = detection[0]
        assert target["dropped_boxes"] == 0
        assert target["masks"].shape == (1, H, W)
        assert int(target["masks"][0].sum()) == 400
        semantic = CocoSegmentation(root / "images", root / "ann.json")
        _, label_map = semantic[0]
        assert int((label_map == 1).sum()) == 400  # not painted as background


def test_a_segmentation_without_a_3_point_polygon_is_dropped_and_counted(tmp_path):
    _write_coco(tmp_path, [[1, 1, 3, 3]])
    _, target = CocoDetection(tmp_path / "images", tmp_path / "ann.json", load_masks=True)[0]
    assert target["dropped_boxes"] == 1 and target["masks"].shape == (0, H, W)


def test_voc_image_without_objects_still_has_a_difficult_entry(tmp_path):
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / sub).mkdir(parents=True)
    for stem in ("a", "b"):
        assert cv2.imwrite(
            str(tmp_path / "JPEGImages" / f"{stem}.png"), np.zeros((H, W, 3), np.uint8)
        )
    obj = (
        "<object><name>cat</name><difficult>1</difficult><bndbox><xmin>3</xmin><ymin>4</ymin>"
        "<xmax>20</xmax><ymax>30</ymax></bndbox></object>"
    )
    (tmp_path / "Annotations" / "a.xml").write_text(f"<annotation>{obj}</annotation>")
    (tmp_path / "Annotations" / "b.xml").write_text("<annotation></annotation>")
    (tmp_path / "ImageSets/Main/train.txt").write_text("a\nb\n")
    dataset = VOCDetection(tmp_path, "train", classes=["cat"])
    _, with_object = dataset[0]
    assert with_object["boxes"].tolist() == [[2.0, 3.0, 20.0, 30.0]]  # 1-based inclusive
    assert with_object["difficult"].tolist() == [1]
    _, negative = dataset[1]
    assert negative["boxes"].shape == (0, 4)
    assert negative["difficult"].shape == (0,)


def test_a_box_outside_the_image_paints_nothing_into_the_label_map(tmp_path):
    """A box-only annotation left of / above the image must not wrap around (negative ends)."""
    _write_coco(tmp_path, [])
    data = json.loads((tmp_path / "ann.json").read_text())
    inside = {**data["annotations"][0], "segmentation": []}  # box [10, 10, 20, 20]
    left = {**inside, "id": 2, "bbox": [-20, 5, 10, 10]}  # x in [-20, -10]
    above = {**inside, "id": 3, "bbox": [5, -30, 10, 10]}  # y in [-30, -20]
    data["annotations"] = [inside, left, above]
    (tmp_path / "ann.json").write_text(json.dumps(data))
    _, label_map = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")[0]
    assert int((label_map == 1).sum()) == 400  # the inside box only


def test_a_stale_voc_filename_is_found_by_the_image_id(tmp_path, caplog):
    """An xml whose <filename> names a file that is not there (renamed images) reads <id>.*;
    a <filename> that exists wins over the id, and one warning counts the stale names."""
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / sub).mkdir(parents=True)
    for stem, value in (("a", 10), ("b", 20), ("other", 30)):
        image = np.full((H, W, 3), value, np.uint8)
        assert cv2.imwrite(str(tmp_path / "JPEGImages" / f"{stem}.png"), image)
    xml = "<annotation><filename>{}</filename></annotation>"
    (tmp_path / "Annotations" / "a.xml").write_text(xml.format("IMG_0001.jpg"))  # stale
    (tmp_path / "Annotations" / "b.xml").write_text(xml.format("other.png"))  # exists
    (tmp_path / "Annotations" / "c.xml").write_text(xml.format("gone.jpg"))  # nothing by id
    (tmp_path / "ImageSets/Main/train.txt").write_text("a\nb\nc\n")
    with caplog.at_level("WARNING", logger="detseg.data.voc"):
        dataset = VOCDetection(tmp_path, "train", classes=["cat"])
    assert dataset.image_path(0).name == "a.png"
    assert dataset.image_path(1).name == "other.png"
    assert dataset.image_path(2).name == "gone.jpg"  # reported missing when read
    (warning,) = [r.getMessage() for r in caplog.records if "name an image" in r.getMessage()]
    assert warning.startswith("1 of 3 VOC annotation files name an image that is not in")
    assert "a.xml names IMG_0001.jpg, read a.png" in warning

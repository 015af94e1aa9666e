"""COCO / VOC / YOLO readers on tiny hand-written datasets."""

import json
import logging

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from detseg.data import CocoDetection, VOCDetection, YoloTxtDetection, remove_crowd

W, H = 64, 48
# Two boxes, xyxy pixels; every coordinate is exact in binary after /64 and /48.
BOXES = [[8.0, 6.0, 40.0, 36.0], [0.0, 12.0, 64.0, 48.0]]
NAMES = ["cat", "dog"]


def _image(path, seed=0):
    rng = np.random.default_rng(seed)
    assert cv2.imwrite(str(path), rng.integers(0, 256, (H, W, 3), dtype=np.uint8))


def _write_coco(root, anns, images=("a.png", "b.png")):
    (root / "images").mkdir(parents=True)
    for i, name in enumerate(images):
        _image(root / "images" / name, seed=i)
    data = {
        "images": [
            {"id": 10 + i, "file_name": n, "height": H, "width": W} for i, n in enumerate(images)
        ],
        "annotations": anns,
        "categories": [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "images", root / "ann.json")


def _coco_ann(ann_id, box, cat_id, image_id=10, **extra):
    x1, y1, x2, y2 = box
    xywh = [x1, y1, x2 - x1, y2 - y1]
    ann = {"id": ann_id, "image_id": image_id, "category_id": cat_id, "bbox": xywh}
    return {**ann, "area": 1.0, "iscrowd": 0, **extra}


def _write_voc(root, objects):
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / sub).mkdir(parents=True)
    _image(root / "JPEGImages" / "img1.png")  # named by <filename>
    xml_objects = "".join(
        f"<object><name>{name}</name><difficult>{diff}</difficult><bndbox>"
        f"<xmin>{x1 + 1:g}</xmin><ymin>{y1 + 1:g}</ymin><xmax>{x2:g}</xmax><ymax>{y2:g}</ymax>"
        "</bndbox></object>"
        for name, (x1, y1, x2, y2), diff in objects
    )
    xml = f"<annotation><filename>img1.png</filename>{xml_objects}</annotation>"
    (root / "Annotations" / "img1.xml").write_text(xml)
    (root / "ImageSets/Main/train.txt").write_text("img1\n")


def _write_yolo(root, lines):
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    _image(root / "images" / "train" / "img1.png")
    _image(root / "images" / "train" / "img2.png", seed=1)  # no label file: a negative
    (root / "labels" / "train" / "img1.txt").write_text("\n".join(lines) + "\n")


def _yolo_line(cls, box):
    x1, y1, x2, y2 = box
    return f"{cls} {(x1 + x2) / 2 / W!r} {(y1 + y2) / 2 / H!r} {(x2 - x1) / W!r} {(y2 - y1) / H!r}"


def test_same_boxes_through_all_three_formats(tmp_path):
    coco = _write_coco(tmp_path / "coco", [_coco_ann(1, BOXES[0], 3), _coco_ann(2, BOXES[1], 7)])
    _write_voc(tmp_path / "voc", [("cat", BOXES[0], 0), ("dog", BOXES[1], 0)])
    voc = VOCDetection(tmp_path / "voc", "train", classes=NAMES)
    _write_yolo(tmp_path / "yolo", [_yolo_line(0, BOXES[0]), _yolo_line(1, BOXES[1])])
    (tmp_path / "yolo" / "classes.txt").write_text("cat\ndog\n")
    yolo = YoloTxtDetection(
        tmp_path / "yolo" / "images" / "train", classes=tmp_path / "yolo" / "classes.txt"
    )
    expected = torch.tensor(BOXES)
    for dataset in (coco, voc, yolo):
        image, target = dataset[0]
        assert dataset.classes == NAMES
        assert image.shape == (3, H, W) and image.dtype == torch.float32
        assert target["boxes"].dtype == torch.float32
        assert torch.equal(target["boxes"], expected), type(dataset).__name__
        assert torch.equal(target["labels"], torch.tensor([1, 2]))
        assert target["dropped_boxes"] == 0
    assert coco.cat_ids == [3, 7] and coco.image_ids == [10, 11]
    assert int(coco[0][1]["image_id"]) == 10


def test_coco_negative_image_kept_and_gt_returned(tmp_path):
    coco = _write_coco(tmp_path, [_coco_ann(1, BOXES[0], 3)])
    assert len(coco) == 2
    _, target = coco[1]
    assert target["boxes"].shape == (0, 4) and target["labels"].shape == (0,)
    assert target["labels"].dtype == torch.int64
    assert coco.coco_gt()["annotations"][0]["id"] == 1


def test_coco_bad_boxes_clipped_or_dropped_and_counted(tmp_path, caplog):
    anns = [
        _coco_ann(1, [-5.0, 6.0, 40.0, 60.0], 3),  # sticks out: clipped to [0, 6, 40, 48]
        _coco_ann(2, [10.0, 10.0, 10.0, 20.0], 3),  # zero width
        _coco_ann(3, [70.0, 10.0, 90.0, 20.0], 3),  # entirely right of the image
        _coco_ann(4, [10.0, 10.0, 20.0, 20.0], 99),  # unknown category
        {"id": 5, "image_id": 10, "category_id": 3, "iscrowd": 0},  # no bbox at all
        _coco_ann(6, [1.0, 2.0, 3.0, 47.5], 3),
    ]
    coco = _write_coco(tmp_path, anns)
    caplog.clear()  # the load-time reports of the unknown category and the missing bbox
    with caplog.at_level(logging.WARNING):
        _, target = coco[0]
    assert torch.equal(
        target["boxes"], torch.tensor([[0.0, 6.0, 40.0, 48.0], [1.0, 2.0, 3.0, 47.5]])
    )
    assert target["dropped_boxes"] == 4  # 2 of them were reported at load time
    dropped_messages = [r.getMessage() for r in caplog.records]
    assert all("a.png" in m for m in dropped_messages) and len(dropped_messages) == 2
    assert any("[70.0, 10.0, 90.0, 20.0]" in m for m in dropped_messages)


def test_coco_unknown_category_ids_reported_once_at_load_with_their_counts(tmp_path, caplog):
    anns = [
        _coco_ann(1, BOXES[0], 3),
        _coco_ann(2, BOXES[1], 99, image_id=11),  # 99 is not among the categories (3, 7)
        _coco_ann(3, BOXES[0], 99, image_id=11),
        _coco_ann(4, BOXES[1], 7),
        _coco_ann(5, BOXES[1], 7, image_id=11),
    ]
    with caplog.at_level(logging.WARNING):
        coco = _write_coco(tmp_path, anns)
    [message] = [r.getMessage() for r in caplog.records]
    assert "ann.json" in message and "category_id 99 (2)" in message
    assert "2 of 5 objects (40%)" in message and "3 cat, 7 dog" in message
    assert coco.unknown_category_annotations == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _, target = coco[1]  # skipped, counted, and not reported again
    assert target["boxes"].shape == (1, 4) and target["dropped_boxes"] == 2
    assert not caplog.records


def test_coco_masks_of_an_image_without_objects(tmp_path):
    polygon = [[8, 6, 40, 6, 40, 36, 8, 36]]
    _write_coco(tmp_path, [_coco_ann(1, BOXES[0], 3, segmentation=polygon)])
    coco = CocoDetection(tmp_path / "images", tmp_path / "ann.json", load_masks=True)
    _, target = coco[1]  # b.png has no annotation
    assert target["masks"].shape == (0, H, W) and target["area"].shape == (0,)


def test_coco_crowd_kept_and_removable(tmp_path):
    coco = _write_coco(tmp_path, [_coco_ann(1, BOXES[0], 3), _coco_ann(2, BOXES[1], 7, iscrowd=1)])
    _, target = coco[0]
    assert torch.equal(target["iscrowd"], torch.tensor([0, 1]))
    clean = remove_crowd(target)
    assert torch.equal(clean["boxes"], torch.tensor([BOXES[0]]))
    assert torch.equal(clean["labels"], torch.tensor([1])) and clean["image_id"] == 10


def test_coco_polygon_masks(tmp_path):
    polygon = [[8, 6, 40, 6, 40, 36, 8, 36]]
    ann = _coco_ann(1, BOXES[0], 3, segmentation=polygon)
    _write_coco(tmp_path, [ann])
    coco = CocoDetection(tmp_path / "images", tmp_path / "ann.json", load_masks=True)
    _, target = coco[0]
    assert "masks" not in CocoDetection(tmp_path / "images", tmp_path / "ann.json")[0][1]
    masks = target["masks"]
    assert masks.dtype == torch.uint8 and masks.shape == (1, H, W)
    reference = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, H, W)))
    assert np.array_equal(masks[0].numpy(), reference)
    ys, xs = np.nonzero(reference)
    assert xs.min() >= 8 and xs.max() <= 40 and ys.min() >= 6 and ys.max() <= 36


def test_coco_unreadable_image_gives_none_and_warning(tmp_path, caplog):
    coco = _write_coco(tmp_path, [_coco_ann(1, BOXES[0], 3)])
    (tmp_path / "images" / "b.png").write_bytes(b"\x89PNG garbage")
    with caplog.at_level(logging.WARNING):
        assert coco[1] is None
    assert "b.png" in caplog.text


def test_coco_missing_paths_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.json"):
        CocoDetection(tmp_path, tmp_path / "missing.json")
    _write_coco(tmp_path, [])
    with pytest.raises(FileNotFoundError, match="no_images_here"):
        CocoDetection(tmp_path / "no_images_here", tmp_path / "ann.json")
    (tmp_path / "empty.json").write_text(
        json.dumps({"images": [], "categories": [{"id": 1, "name": "a"}]})
    )
    with pytest.raises(ValueError, match="no images"):
        CocoDetection(tmp_path / "images", tmp_path / "empty.json")


def test_voc_difficult_and_unknown_classes(tmp_path, caplog):
    objects = [("cat", BOXES[0], 0), ("dog", BOXES[1], 1), ("zebra", BOXES[0], 0)]
    _write_voc(tmp_path, objects)
    with caplog.at_level(logging.WARNING):
        _, target = VOCDetection(tmp_path, "train", classes=NAMES)[0]
    assert torch.equal(target["difficult"], torch.tensor([0, 1]))
    assert torch.equal(target["labels"], torch.tensor([1, 2]))
    assert "zebra" in caplog.text
    _, easy = VOCDetection(
        tmp_path, tmp_path / "ImageSets/Main/train.txt", NAMES, keep_difficult=False
    )[0]
    assert torch.equal(easy["boxes"], torch.tensor([BOXES[0]]))
    with pytest.raises(FileNotFoundError, match="val.txt"):
        VOCDetection(tmp_path, "val", classes=NAMES)


def test_voc_classes_voc_are_the_20_voc_classes(tmp_path):
    _write_voc(tmp_path, [("person", BOXES[0], 0)])
    dataset = VOCDetection(tmp_path, "train", classes="voc")
    assert len(dataset.classes) == 20 and dataset.classes[14] == "person"
    assert dataset[0][1]["labels"].tolist() == [15]


@pytest.mark.parametrize(
    "names_file, content",
    [("data.yaml", "names: [cat, dog]\n"), ("data2.yaml", "names: {0: cat, 1: dog}\n")],
)
def test_yolo_yaml_classes_negatives_and_bad_lines(tmp_path, names_file, content, caplog):
    lines = [
        _yolo_line(0, BOXES[0]),
        _yolo_line(5, BOXES[1]),
        "1 0.5 oops 0.1 0.1",
        _yolo_line(1, BOXES[1]),
    ]
    _write_yolo(tmp_path, lines)
    (tmp_path / names_file).write_text(content)
    with caplog.at_level(logging.WARNING):
        dataset = YoloTxtDetection(tmp_path / "images" / "train", classes=tmp_path / names_file)
    [unknown] = [r.getMessage() for r in caplog.records]  # reported once, when loading
    assert "1 of 3 objects" in unknown and "class 5 (1)" in unknown and "0..1" in unknown
    assert dataset.classes == NAMES and len(dataset) == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _, target = dataset[0]
    assert torch.equal(target["boxes"], torch.tensor(BOXES))
    assert target["dropped_boxes"] == 2
    [malformed] = [r.getMessage() for r in caplog.records]
    assert "img1.txt:3" in malformed and "oops" in malformed
    _, negative = dataset[1]
    assert negative["boxes"].shape == (0, 4) and negative["dropped_boxes"] == 0


def test_yolo_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="images"):
        YoloTxtDetection(tmp_path / "images" / "train", classes=["a"])
    (tmp_path / "images" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="labels"):
        YoloTxtDetection(tmp_path / "images" / "train", classes=["a"])
    (tmp_path / "labels" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no images"):
        YoloTxtDetection(tmp_path / "images" / "train", classes=["a"])

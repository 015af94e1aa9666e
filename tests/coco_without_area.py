"""A COCO ground truth that leaves out ``area`` and ``iscrowd`` (but for one crowd box), with
detections on it: what the evaluation must read as the COCO reader does (box ``w * h``, ``0``).
Boxes are COCO ``[x, y, w, h]`` pixels of a 300 x 200 image."""

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 300, "height": 200}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20]},  # small
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 60, 60]},  # medium
        {"id": 3, "image_id": 1, "category_id": 2, "bbox": [150, 10, 120, 150]},  # large
        {"id": 4, "image_id": 1, "category_id": 2, "bbox": [0, 120, 40, 40], "iscrowd": 1},
    ],
    "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": [1, 0, 20, 20], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 58, 60, 60], "score": 0.8},
    {"image_id": 1, "category_id": 2, "bbox": [150, 10, 100, 150], "score": 0.7},
    {"image_id": 1, "category_id": 2, "bbox": [2, 122, 30, 30], "score": 0.6},
]

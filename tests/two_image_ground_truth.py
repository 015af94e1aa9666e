"""A COCO ground truth of two 64 x 48 images with one 20 px square object each (``cat`` on
image 1, ``dog`` on image 2; boxes xywh, the squares also as polygons), shared by the tests of
the predictions-file evaluation."""

from __future__ import annotations

SQUARE = [[4, 4, 24, 4, 24, 24, 4, 24]]  # polygon of the box [4, 4, 20, 20] (xywh)
GT = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.png", "width": 64, "height": 48},
    ],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "area": 400,
         "iscrowd": 0, "segmentation": SQUARE},
        {"id": 2, "image_id": 2, "category_id": 2, "bbox": [4, 4, 20, 20], "area": 400,
         "iscrowd": 0, "segmentation": SQUARE},
    ],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
}  # fmt: skip

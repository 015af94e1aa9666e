"""The dataset layouts that one converts into another (no torch import).

Their readers and writers are :data:`detseg.convert.datasets.DATASET_FORMATS`;
``tools/convert_dataset.py --from/--to`` offers them.
"""

from __future__ import annotations

#: The formats of ``convert_dataset``, in the order they are listed.
DATASET_FORMAT_NAMES = ("coco", "voc", "yolo")

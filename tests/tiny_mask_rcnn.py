"""The options of the smallest Mask R-CNN of the CPU tests: a ResNet-18 body, 64-96 px images,
narrow box and mask heads (``detseg.detection.mask_rcnn.mask_rcnn(num_classes, **SMALL_MASK_RCNN,
...)``).

(``pyproject.toml`` puts ``tests/`` on the import path: ``from tiny_mask_rcnn import ...``.)
"""

from __future__ import annotations

SMALL_MASK_RCNN = {
    "backbone": "resnet18",
    "min_size": 64,
    "max_size": 96,
    "representation_size": 32,
    "mask_layers": (16, 16),
    "mask_dim_reduced": 16,
}

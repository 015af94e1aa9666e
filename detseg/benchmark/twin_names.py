"""The names of the torchvision builders that have a detseg twin (no torch import).

The twin pairs are built by :mod:`detseg.benchmark.twins`; ``tools/benchmark.py`` offers these
names as the architectures of ``model`` and ``postprocess``.
"""

from __future__ import annotations

# torchvision detection builders with a detseg twin
DETECTION_TWINS = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "retinanet_resnet50_fpn",
    "retinanet_resnet50_fpn_v2",
    "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
    "maskrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn_v2",
)
# the Mask R-CNN builders among them (their targets carry instance masks)
MASK_TWINS = ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2")
# the SSD builders among them (their post-processing has its own benchmark)
SSD_TWINS = ("ssd300_vgg16", "ssdlite320_mobilenet_v3_large")
# torchvision segmentation builders with a detseg twin
SEGMENTATION_TWINS = (
    "fcn_resnet50",
    "fcn_resnet101",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
)
NO_AUX = ("lraspp_mobilenet_v3_large",)  # torchvision's LR-ASPP has no auxiliary head

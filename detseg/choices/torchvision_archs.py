"""The torchvision builders whose checkpoint files convert to detseg (no torch import).

The conversion is :mod:`detseg.convert.torchvision_archs`; ``tools/convert_torchvision.py``
offers these builders as its ``arch`` argument.
"""

from __future__ import annotations

#: torchvision builders with a detseg twin -> their number of classes (background included)
#: in torchvision's published weights (COCO: 91 slots; segmentation: the 21 VOC labels).
TORCHVISION_ARCHS: dict[str, int] = {
    "fasterrcnn_resnet50_fpn": 91,
    "fasterrcnn_resnet50_fpn_v2": 91,
    "fasterrcnn_mobilenet_v3_large_fpn": 91,
    "fasterrcnn_mobilenet_v3_large_320_fpn": 91,
    "maskrcnn_resnet50_fpn": 91,
    "maskrcnn_resnet50_fpn_v2": 91,
    "retinanet_resnet50_fpn": 91,
    "retinanet_resnet50_fpn_v2": 91,
    "ssd300_vgg16": 91,
    "ssdlite320_mobilenet_v3_large": 91,
    "fcn_resnet50": 21,
    "fcn_resnet101": 21,
    "deeplabv3_resnet50": 21,
    "deeplabv3_resnet101": 21,
    "deeplabv3_mobilenet_v3_large": 21,
    "lraspp_mobilenet_v3_large": 21,
}

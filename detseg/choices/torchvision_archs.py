"""The torchvision builders that have a detseg twin (no torch import).

A *twin* is a torchvision model that detseg builds with the same architecture: its weights
convert (:mod:`detseg.convert.torchvision_archs`, ``tools/convert_torchvision.py``) and the
benchmarks time the pair side by side (:mod:`detseg.benchmark.twins`, ``tools/benchmark.py``).
"""

from __future__ import annotations

#: How ``model.init_from`` names a twin's published weights: ``torchvision:<builder name>``.
TORCHVISION_INIT_PREFIX = "torchvision:"

#: torchvision detection builders with a detseg twin (COCO weights: 91 class slots)
DETECTION_TWINS = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "maskrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn_v2",
    "retinanet_resnet50_fpn",
    "retinanet_resnet50_fpn_v2",
    "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
)
#: the Mask R-CNN builders among them (their targets carry instance masks)
MASK_TWINS = ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2")
#: the SSD builders among them (their post-processing has its own benchmark)
SSD_TWINS = ("ssd300_vgg16", "ssdlite320_mobilenet_v3_large")
#: torchvision segmentation builders with a detseg twin (weights: the 21 VOC labels)
SEGMENTATION_TWINS = (
    "fcn_resnet50",
    "fcn_resnet101",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
)

#: every twin -> its number of classes (background included) in torchvision's published
#: weights; the builders whose checkpoint files convert
TORCHVISION_ARCHS: dict[str, int] = {
    **dict.fromkeys(DETECTION_TWINS, 91),
    **dict.fromkeys(SEGMENTATION_TWINS, 21),
}

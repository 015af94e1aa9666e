"""Detection models: Faster R-CNN (transform, RPN, RoI heads), Mask R-CNN and their builders.

RetinaNet, SSD and YOLO live in their own modules (``retinanet.py``, ``ssd.py``, ``yolo.py``).
"""

from detseg.detection.faster_rcnn import FasterRCNN, faster_rcnn
from detseg.detection.mask_head import MaskRCNNHead, paste_masks_in_image
from detseg.detection.mask_rcnn import MaskRCNN, mask_rcnn
from detseg.detection.retinanet import RetinaNet, RetinaNetConfig, retinanet
from detseg.detection.retinanet_head import RetinaNetHead
from detseg.detection.roi_heads import (
    FastRCNNConvFCHead,
    FastRCNNMLPHead,
    FastRCNNPredictor,
    RoIHeads,
    RoIHeadsConfig,
)
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.rpn import RegionProposalNetwork, RPNConfig, RPNHead
from detseg.detection.single_stage import match_anchors, matched_values
from detseg.detection.ssd import SSD, SSDConfig, ssd
from detseg.detection.ssd_head import SSDHead
from detseg.detection.transform import DetectionTransform, ImageBatch
from detseg.detection.yolo import YOLO, yolo

__all__ = [
    "DetectionTransform",
    "FastRCNNConvFCHead",
    "FastRCNNMLPHead",
    "FastRCNNPredictor",
    "FasterRCNN",
    "ImageBatch",
    "MaskRCNN",
    "MaskRCNNHead",
    "RPNConfig",
    "RPNHead",
    "RegionProposalNetwork",
    "RetinaNet",
    "RetinaNetConfig",
    "RetinaNetHead",
    "RoIHeads",
    "RoIHeadsConfig",
    "RoIPooler",
    "SSD",
    "SSDConfig",
    "SSDHead",
    "YOLO",
    "faster_rcnn",
    "mask_rcnn",
    "match_anchors",
    "matched_values",
    "paste_masks_in_image",
    "retinanet",
    "ssd",
    "yolo",
]

"""Detection models: Faster R-CNN (transform, RPN, RoI heads), Mask R-CNN and their builders.

RetinaNet, SSD and YOLO live in their own modules (``retinanet.py``, ``ssd.py``, ``yolo.py``).
"""

from detseg.detection.faster_rcnn import FasterRCNN, faster_rcnn
from detseg.detection.mask_head import MaskRCNNHead, paste_masks_in_image
from detseg.detection.mask_rcnn import MaskRCNN, mask_rcnn
from detseg.detection.roi_heads import (
    FastRCNNConvFCHead,
    FastRCNNMLPHead,
    FastRCNNPredictor,
    RoIHeads,
    RoIHeadsConfig,
)
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.rpn import RegionProposalNetwork, RPNConfig, RPNHead
from detseg.detection.transform import DetectionTransform, ImageBatch

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
    "RoIHeads",
    "RoIHeadsConfig",
    "RoIPooler",
    "faster_rcnn",
    "mask_rcnn",
    "paste_masks_in_image",
]

"""Detection models: Faster R-CNN (transform, RPN, RoI heads) and their builders."""

from detseg.detection.faster_rcnn import FasterRCNN, faster_rcnn
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
    "RPNConfig",
    "RPNHead",
    "RegionProposalNetwork",
    "RoIHeads",
    "RoIHeadsConfig",
    "RoIPooler",
    "faster_rcnn",
]

"""Detection models: the parts of Faster R-CNN, Mask R-CNN, RetinaNet, SSD and YOLO.

Faster and Mask R-CNN share the transform, the RPN and the RoI heads; RetinaNet, SSD and YOLO keep
their own parts in their modules (``retinanet.py``, ``ssd.py``, ``yolo.py``).
The builder functions are imported from their modules (``from detseg.detection.faster_rcnn import
faster_rcnn``) or reached by name through ``detseg.models.MODELS``: re-exported here, each would
hide its module of the same name (``import detseg.detection.yolo as m`` would give the function).
"""

from detseg.detection.fast_rcnn_heads import FastRCNNConvFCHead, FastRCNNMLPHead, FastRCNNPredictor
from detseg.detection.faster_rcnn import FasterRCNN
from detseg.detection.mask_head import MaskRCNNHead, paste_masks_in_image
from detseg.detection.mask_rcnn import MaskRCNN
from detseg.detection.retinanet import RetinaNet, RetinaNetConfig
from detseg.detection.retinanet_head import RetinaNetHead
from detseg.detection.roi_heads import RoIHeads, RoIHeadsConfig
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.rpn import RegionProposalNetwork, RPNConfig, RPNHead
from detseg.detection.single_stage import match_anchors, matched_values
from detseg.detection.ssd import SSD, SSDConfig
from detseg.detection.ssd_head import SSDHead
from detseg.detection.transform import DetectionTransform, ImageBatch
from detseg.detection.yolo import YOLO

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
    "match_anchors",
    "matched_values",
    "paste_masks_in_image",
]

"""detseg: object detection and semantic segmentation in plain PyTorch."""

__version__ = "0.1.0"

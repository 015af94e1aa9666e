"""detseg.segmentation."""

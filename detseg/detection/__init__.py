"""detseg.detection."""

"""detseg.ops."""

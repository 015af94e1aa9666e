"""detseg.evaluation."""

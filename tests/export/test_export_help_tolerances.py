"""tools/export.py's --help states the check's tolerances as the check applies them: logits
within ``logits_rel`` of their largest magnitude, at least 1 (a model whose logits stay below 1
is allowed ``logits_rel`` itself)."""

from __future__ import annotations

import torch

from detseg.export import Tolerance
from detseg.export.comparison import compare_logits
from tools import export


def test_help_states_the_logits_floor_that_the_check_applies():
    help_text = " ".join(export.__doc__.split())
    assert "logits within 1e-4 of their largest magnitude (at least 1)" in help_text
    assert Tolerance().logits_rel == 1e-4
    small = torch.full((1, 2, 2, 2), 0.1)
    assert compare_logits(small + 0.9e-4, small, Tolerance()).passed

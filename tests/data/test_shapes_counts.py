"""generate_shapes refuses to write a dataset without any image."""

from __future__ import annotations

import pytest

from detseg.data.shapes import generate_shapes


def test_no_image_at_all_is_refused(tmp_path):
    with pytest.raises(ValueError, match="every image count is 0: nothing to write"):
        generate_shapes(tmp_path / "empty", num_train=0, num_val=0, num_test=0, size=64)
    assert not (tmp_path / "empty").exists()

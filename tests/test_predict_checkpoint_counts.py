"""``predict_checkpoint``'s counts from Python (``batch_size``, ``max_frames``) are integers of
at least 1: text or a float is refused before the checkpoint is read, with one line naming
the argument."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.predict_images import predict_checkpoint


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"batch_size": "2"}, "batch_size must be an integer >= 1, got '2' (str)"),
        ({"batch_size": 2.5}, "batch_size must be an integer >= 1, got 2.5 (float)"),
        ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"max_frames": 1.5}, "max_frames must be an integer >= 1, got 1.5 (float)"),
        ({"score_threshold": np.array([0.5])}, "score_threshold must be a number in [0, 1]"),
    ],
)
def test_bad_counts_name_the_argument(tmp_path, settings, message):
    with pytest.raises(ValueError) as error:
        predict_checkpoint(tmp_path / "missing.pt", [], tmp_path / "out", **settings)
    assert str(error.value).startswith(message)
    assert not (tmp_path / "out").exists()

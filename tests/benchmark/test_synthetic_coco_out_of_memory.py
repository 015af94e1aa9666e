"""``benchmark.py eval --dets-per-image 100000000000``: detections that do not fit in memory are
one line naming the flag, not numpy's ``MemoryError`` traceback."""

from __future__ import annotations

import numpy as np
import pytest
from tool_in_process import run_tool_here

from detseg.benchmark import synthetic_coco


def test_the_error_names_the_flag(monkeypatch, capsys):
    real_random = np.random.default_rng

    class Generator:
        """numpy's generator, but its arrays of more than 10**6 values do not fit."""

        def __init__(self, seed):
            self._rng = real_random(seed)

        def __getattr__(self, name):
            method = getattr(self._rng, name)

            def call(*args, **kwargs):
                size = kwargs.get("size", args[-1] if args else None)
                if isinstance(size, (int, np.integer)) and size > 10**6:
                    raise MemoryError(f"Unable to allocate 745. GiB for an array ({size},)")
                return method(*args, **kwargs)

            return call

    monkeypatch.setattr(synthetic_coco.np.random, "default_rng", Generator)
    with pytest.raises(ValueError) as caught:
        synthetic_coco.synthetic_coco(1, 10**11, 80, "bbox", 0)
    assert str(caught.value) == (
        "--dets-per-image 100000000000 (of --images 1): the detections do not fit in memory; "
        "give a smaller --dets-per-image or --images"
    )
    code = run_tool_here("benchmark.py", "eval", "--images", "1", "--dets-per-image", 10**11)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"benchmark: error: {caught.value}"


def test_small_counts_are_unchanged():
    gt, detections = synthetic_coco.synthetic_coco(3, 4, 5, "bbox", 0)
    assert len(gt["images"]) == 3 and len(detections) == 12

"""``workers`` above a split's image count starts no idle processes: ``make_shapes.py
--workers 999`` for a few images started 999 processes (a minute, and their memory, for what
one process draws in a tenth of a second)."""

from __future__ import annotations

import json

import detseg.data.shapes as shapes


def test_no_more_processes_than_images(tmp_path, monkeypatch):
    started: list[int] = []
    real_pool = shapes.multiprocessing.Pool

    def pool(processes=None, *args, **kwargs):
        started.append(processes)
        return real_pool(processes, *args, **kwargs)

    monkeypatch.setattr(shapes.multiprocessing, "Pool", pool)
    counts = shapes.generate_shapes(
        tmp_path / "s", num_train=3, num_val=1, size=64, workers=50, progress=False
    )
    assert started == [3]  # val's single image is drawn in this process
    assert counts["train_images"] == 3 and counts["val_images"] == 1
    train = json.loads((tmp_path / "s" / "annotations" / "instances_train.json").read_text())
    assert [image["file_name"] for image in train["images"]] == [
        "000000.png",
        "000001.png",
        "000002.png",
    ]

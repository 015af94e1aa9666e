"""docs/segmentation.md names the files ``infer.py`` writes for a segmenter as
``predict_checkpoint`` writes them: the drawing keeps the input's file name (``photo.jpg``
gives ``OUT/photo.jpg``, not ``<stem>.png``), the label map is ``labels/<stem>.png``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.predict_images import predict_checkpoint

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "segmentation.md"


def test_the_guide_names_the_files_a_segmenter_run_writes(segmenter_checkpoint, tmp_path):
    photo = tmp_path / "photo.jpg"
    assert cv2.imwrite(str(photo), np.full((40, 48, 3), 90, np.uint8))
    out = tmp_path / "out"
    run = predict_checkpoint(segmenter_checkpoint, [str(photo)], out, device="cpu")
    assert run.images == 1
    assert (out / "photo.jpg").is_file() and (out / "labels" / "photo.png").is_file()
    assert not (out / "photo.png").exists()
    guide = " ".join(GUIDE.read_text().split())
    assert "For each image `infer.py` writes `<name>`" in guide
    assert "`photo.jpg` gives `OUT/photo.jpg`" in guide
    assert "`labels/<stem>.png`" in guide

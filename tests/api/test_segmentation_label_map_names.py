"""``predict_checkpoint`` (``tools/infer.py``) on a segmenter writes one label map per image, also
for images whose names differ in their suffix only (``x.jpg``, ``x.png``): label maps are all
``.png``, so each overlay gets its own stem and its label map that stem."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.predict_images import predict_checkpoint


def test_images_sharing_a_stem_keep_one_label_map_each(segmenter_checkpoint, tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    gray = np.full((24, 32, 3), 90, dtype=np.uint8)
    assert cv2.imwrite(str(photos / "x.jpg"), gray)
    assert cv2.imwrite(str(photos / "x.png"), gray[:20])  # another size: another label map
    run = predict_checkpoint(segmenter_checkpoint, [str(photos)], out, plain=True)
    assert run.images == 2 and not run.failed
    overlays = sorted(p.name for p in out.iterdir() if p.is_file())
    labels = sorted(p.name for p in (out / "labels").iterdir())
    assert overlays == ["x.jpg", "x_1.png"]
    assert labels == ["x.png", "x_1.png"]
    heights = [
        cv2.imread(str(out / "labels" / name), cv2.IMREAD_UNCHANGED).shape[0] for name in labels
    ]
    assert heights == [24, 20]  # x.jpg's map, then x.png's

"""``predictions.json``: each record's ``image_id`` is the position of its image in the input
list (from 1), also when an image before it cannot be read, and the file is the concatenation
of ``DetectionResult.to_coco`` of each image."""

from __future__ import annotations

import json

import detseg
from detseg.predict_images import predict_checkpoint


def test_an_unreadable_image_keeps_the_positions_of_the_others(
    detector_checkpoint, image_file, tmp_path
):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    inputs = [str(image_file), str(bad), str(image_file)]
    run = predict_checkpoint(
        detector_checkpoint, inputs, tmp_path / "out", device="cpu", on_error=lambda _: None
    )
    assert run.failed == [str(bad)]
    records = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert {r["image_id"] for r in records} == {1, 3}
    result = detseg.load(detector_checkpoint, "cpu").predict(str(image_file))
    expected = [
        {**record, "file_name": str(image_file)}
        for image_id in (1, 3)
        for record in result.to_coco(image_id)
    ]
    assert records == expected

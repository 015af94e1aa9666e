"""``predictions.json``: each record's ``image_id`` is the position of its image in the input
list (from 1), also when an image before it cannot be read, and the file is the concatenation
of ``DetectionResult.to_coco`` of each image, each record with its class's ``category_name``
beside ``file_name``."""

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
        {**record, "category_name": name, "file_name": str(image_file)}
        for image_id in (1, 3)
        for record, name in zip(result.to_coco(image_id), result.names, strict=True)
    ]
    assert records == expected
    assert records  # the class names are compared, not only an empty list
    ids = result.category_ids or range(1, len(result.classes) + 1)
    names = dict(zip(ids, result.classes, strict=True))
    assert all(r["category_name"] == names[r["category_id"]] for r in records)

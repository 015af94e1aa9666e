"""The log line of each image a detector run draws names the drawn file (``out/<image>``),
also when the image has detections: their class names go to ``predictions.json``, not into
the path the line shows."""

from __future__ import annotations

import json
import logging

from detseg.predict_images import predict_checkpoint


def test_the_log_line_names_the_drawn_image_not_a_class(
    detector_checkpoint, image_file, tmp_path, caplog
):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="detseg.api.image_outputs"):
        predict_checkpoint(detector_checkpoint, [str(image_file)], out, device="cpu")
    records = json.loads((out / "predictions.json").read_text())
    assert records  # detections: the record loop ran before the line was logged
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(str(image_file))]
    assert lines == [f"{image_file}: {len(records)} detections -> {out / image_file.name}"]
    assert (out / image_file.name).is_file()

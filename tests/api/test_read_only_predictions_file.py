"""A read-only ``predictions.json`` in the output folder of ``predict_checkpoint``
(``tools/infer.py``) is refused before any drawing is written, in one line that names it, as a
read-only drawing is (``save_rgb``); ``write_text`` would write over it where the user may
(root). Its name is the tool's, so the message offers another output folder, not another name.
The tests run as root: the file is read-only by its mode (``chmod 0o444``)."""

from __future__ import annotations

import shutil

import pytest

from detseg.predict_images import predict_checkpoint


def test_a_read_only_predictions_file_is_refused_before_drawing(
    detector_checkpoint, image_file, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    predictions = out / "predictions.json"
    predictions.write_text("[]")
    predictions.chmod(0o444)
    shutil.copyfile(image_file, tmp_path / "a.png")
    with pytest.raises(PermissionError) as caught:
        predict_checkpoint(detector_checkpoint, [str(tmp_path / "a.png")], out, device="cpu")
    assert str(caught.value) == (
        f"cannot write {predictions}: the file is read-only; make it writable (chmod u+w "
        f"{predictions}) or choose another output folder (--out / out=)"
    )
    assert sorted(p.name for p in out.iterdir()) == ["predictions.json"]
    assert predictions.read_text() == "[]"

"""An export killed mid-write leaves its temporary file (``.<name>.<random>.tmp``) beside the
model or its ``.json`` sidecar; the next export of the same file removes those, and leaves the
temporary files of other files alone."""

from __future__ import annotations

import logging

from detseg.engine.checkpointing.checkpoint import remove_stale_temp_files_of
from detseg.export import export_model


def test_the_next_export_removes_a_killed_exports_temp_files(tmp_path, tiny_model, caplog):
    path = tmp_path / "unet.pt"
    stale = [tmp_path / ".unet.pt.k1ll3d_0.tmp", tmp_path / ".unet.pt.json.x9y8z7w6.tmp"]
    others = [tmp_path / ".other.pt.k1ll3d_0.tmp", tmp_path / ".unet.pt.link.tmp.bak"]
    for file in stale + others:
        file.write_bytes(b"partial")
    with caplog.at_level(logging.INFO, logger="detseg.export"):
        export_model(tiny_model("unet"), path, format="torchscript", input_size=(32, 32))
    assert path.is_file() and (tmp_path / "unet.pt.json").is_file()
    assert not any(file.exists() for file in stale)
    assert all(file.exists() for file in others)
    assert caplog.text.count("left by an interrupted export") == 2


def test_only_the_temp_files_of_that_path_go(tmp_path):
    (tmp_path / ".model.onnx.abc123.tmp").write_bytes(b"")
    (tmp_path / ".model.onnx.json.abc123.tmp").write_bytes(b"")
    (tmp_path / "model.onnx").write_bytes(b"")
    removed = remove_stale_temp_files_of(tmp_path / "model.onnx")
    assert [p.name for p in removed] == [".model.onnx.abc123.tmp"]
    assert (tmp_path / "model.onnx").exists()

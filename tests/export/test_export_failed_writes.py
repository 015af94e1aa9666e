"""A failed or interrupted write of an export leaves the previous file and sidecar as they were,
and no partial file beside them."""

from __future__ import annotations

import errno

import pytest
import torch

from detseg.export import export_model


def test_a_failed_write_keeps_the_previous_export(tiny_model, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    export_model(tiny_model("deeplabv3"), path, format="torchscript", input_size=(32, 32))
    before = path.read_bytes(), (tmp_path / "model.pt.json").read_text()

    def disk_full(module, file):
        file.write(b"PK\x03\x04 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch.jit, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        export_model(tiny_model("deeplabv3"), path, format="torchscript", input_size=(48, 48))
    assert (path.read_bytes(), (tmp_path / "model.pt.json").read_text()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model.pt.json"]

"""``export_model``'s settings given the way a notebook holds them: a score threshold in a 0-d
tensor or numpy array, counts and sizes as numpy integers (``np.int64(17)``, an
``np.array([64, 64])``), category ids as an array. Each is its Python number (the sidecar's
JSON holds plain numbers); a name that is no string is one ``ExportError`` naming ``name``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from detseg.export import ExportError, export_model


@pytest.mark.parametrize("threshold", [torch.tensor(0.25), np.array(0.25), np.float32(0.25)])
def test_a_zero_d_score_threshold(tiny_model, tmp_path, threshold):
    result = export_model(
        tiny_model("faster_rcnn"), tmp_path / "d.pt", "torchscript", score_thresh=threshold
    )
    assert type(result.score_thresh) is float and result.score_thresh == pytest.approx(0.25)
    sidecar = json.loads(result.sidecar.read_text())
    assert sidecar["score_thresh"] == pytest.approx(0.25)


def test_numpy_sizes_counts_and_ids(tiny_model, tmp_path):
    result = export_model(
        tiny_model("faster_rcnn"),
        tmp_path / "d.pt",
        "torchscript",
        input_size=np.array([96, 128]),
        batch_size=np.int64(1),
        category_ids=np.array([3, 5, 9]),
    )
    assert result.input_size == (96, 128) and type(result.input_size[0]) is int
    assert type(result.batch_size) is int
    assert result.category_ids == (3, 5, 9)
    sidecar = json.loads(result.sidecar.read_text())
    assert sidecar["category_ids"] == [3, 5, 9]


def test_a_numpy_opset(tiny_model, tmp_path):
    pytest.importorskip("onnx")
    result = export_model(tiny_model("deeplabv3"), tmp_path / "d.onnx", opset=np.int64(17))
    assert result.opset == 17 and type(result.opset) is int


def test_a_name_that_is_no_string(tiny_model, tmp_path):
    with pytest.raises(ExportError, match=r"^name must be a string, got PosixPath\('x'\)"):
        export_model(tiny_model("faster_rcnn"), tmp_path / "d.pt", "torchscript", name=Path("x"))
    assert not (tmp_path / "d.pt").exists()

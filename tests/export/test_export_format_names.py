"""An export format that is none of onnx / torchscript is refused first, with the closest name,
before the file name is compared with it (``m.onnx`` with ``ONNX`` was told to rename the
file)."""

from __future__ import annotations

import pytest

from detseg.export import ExportError, export_model


@pytest.mark.parametrize(
    ("format", "said"),
    [
        ("ONNX", "; did you mean 'onnx'?"),
        ("torchscrpt", "; did you mean 'torchscript'?"),
        ("tflite", ""),
    ],
)
def test_an_unknown_format_is_named_with_the_closest(tiny_model, tmp_path, format, said):
    with pytest.raises(ExportError) as caught:
        export_model(tiny_model("unet"), tmp_path / "m.onnx", format=format)
    assert str(caught.value) == (
        f"unknown export format {format!r}; choose one of ('onnx', 'torchscript'){said}"
    )
    assert not list(tmp_path.iterdir())

"""``export_model``'s counts and sizes from Python: an ``opset``, ``batch_size`` or
``input_size`` side that is not an integer is an ``ExportError`` naming the argument, before
any file is written (not a ``TypeError`` from deep inside torch)."""

from __future__ import annotations

import pytest

from detseg.export import ExportError, export_model


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"opset": 18.5}, "opset must be an integer, got 18.5 (float)"),
        ({"opset": "18"}, "opset must be an integer, got '18' (str)"),
        ({"opset": True}, "opset must be an integer, got True (bool)"),
        ({"batch_size": 2.5}, "batch_size must be an integer, got 2.5 (float)"),
        ({"input_size": (32.5, 32)}, "input_size must be (H, W), two integers, got (32.5, 32)"),
        ({"input_size": (32,)}, "input_size must be (H, W), two integers, got (32,)"),
    ],
)
def test_non_integer_settings_name_the_argument(tiny_model, tmp_path, settings, message):
    with pytest.raises(ExportError) as error:
        export_model(tiny_model("deeplabv3"), tmp_path / "out" / "d.onnx", **settings)
    assert str(error.value) == message
    assert not list(tmp_path.iterdir())


def test_the_opset_of_a_torchscript_export_is_ignored(tiny_model, tmp_path):
    result = export_model(
        tiny_model("deeplabv3"), tmp_path / "d.pt", "torchscript", opset=18.5, input_size=(16, 16)
    )
    assert result.opset is None and result.path.is_file()

"""An export error about a setting names it as its caller gave it: ``export_model``'s keyword
(``opset=10``) from Python, the flag (``--opset 10``) from ``tools/export.py``, whose user typed
no keyword."""

from __future__ import annotations

import pytest
from tool_in_process import run_tool_here

from detseg.export import ExportError, export_model


def test_a_message_names_the_keyword_or_the_flag_of_each_setting():
    error = ExportError("{opset} and {input_size} {x} {1}", opset=10, input_size=(64, 96))
    assert str(error) == "opset=10 and input_size=(64, 96) {x} {1}"
    flags = {"opset": "--opset", "input_size": "--input-size"}
    assert error.naming(flags) == "--opset 10 and --input-size 64 96 {x} {1}"
    assert error.naming({"opset": "--opset"}) == "--opset 10 and input_size=(64, 96) {x} {1}"
    plain = ExportError("a {literal} message about {opset}")  # no setting: the text as given
    assert str(plain) == plain.naming(flags) == "a {literal} message about {opset}"


def test_export_model_names_its_keyword_arguments(tiny_model, tmp_path):
    with pytest.raises(ExportError) as caught:
        export_model(tiny_model("deeplabv3"), tmp_path / "d.onnx", opset=10)
    assert str(caught.value).startswith("opset=10 is outside 11..20 (NonMaxSuppression needs ")
    with pytest.raises(ExportError) as caught:
        export_model(tiny_model("unet"), tmp_path / "u.onnx", opset=17)
    assert str(caught.value).endswith("export with opset=18 or higher")
    with pytest.raises(ExportError) as caught:
        export_model(tiny_model("unet"), tmp_path / "u.onnx", score_thresh=0.5, name="unet")
    assert str(caught.value).endswith("no score threshold; drop score_thresh=0.5")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--opset", "10"], "--opset 10 is outside 11..20 (NonMaxSuppression needs 11; "),
        (["--opset", "21"], "--opset 21 is outside 11..20 "),
        (["--batch-size", "2"], "as torchvision's detectors do); --batch-size 2 is not "),
    ],
)
def test_the_tool_names_the_flag_typed(demo_checkpoint, tmp_path, capsys, args, message):
    out = tmp_path / "x.onnx"
    code = run_tool_here("export.py", demo_checkpoint, "--out", out, *args)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines[-1].startswith("export: error: ") and message in lines[-1], lines
    assert "opset=" not in lines[-1] and "batch_size=" not in lines[-1]
    assert not list(tmp_path.iterdir())

"""Arguments of ``export_model`` / ``load_for_export`` of the wrong kind are refused before
anything is written, naming the argument: ``None`` as the model ended in an
``AttributeError`` of ``copy.deepcopy(None).cpu()``, class names given as one string were read
as one name per letter (``"abc"``: three classes), and ``dynamic="no"`` exported a dynamic
graph."""

from __future__ import annotations

import pytest
from torch import nn

from detseg.export import ExportError, export_model, load_for_export


@pytest.mark.parametrize("source", [None, 3, nn.Linear])
def test_a_source_that_is_no_model_file_or_folder_is_refused(tmp_path, source):
    message = "^give a detseg model, a checkpoint file or a run folder to export, got "
    with pytest.raises(TypeError, match=message):
        export_model(source, tmp_path / "m.onnx")
    with pytest.raises(TypeError, match=message):
        load_for_export(source)
    assert not list(tmp_path.iterdir())


def test_class_names_given_as_one_string_are_refused(tiny_model, tmp_path):
    with pytest.raises(ExportError, match=r"^classes must be a list of class names in label "):
        export_model(tiny_model("unet"), tmp_path / "u.pt", format="torchscript", classes="abc")
    with pytest.raises(ExportError, match=r"^classes must be a list of class names"):
        load_for_export(tiny_model("unet"), classes=["a", 2, "c"])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("dynamic", ["no", None, 1])
def test_dynamic_must_be_true_or_false(tiny_model, tmp_path, dynamic):
    with pytest.raises(ExportError, match=rf"^dynamic must be True or False, got {dynamic!r}$"):
        export_model(tiny_model("unet"), tmp_path / "u.pt", format="torchscript", dynamic=dynamic)
    assert not list(tmp_path.iterdir())

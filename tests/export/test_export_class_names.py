"""Class names given to ``export_model`` are one per class of the model: three names for a
model of one class (or one for three) wrote a sidecar whose classes, and a segmenter's logit
shape ``[B, K + 1, H, W]``, did not describe the file."""

from __future__ import annotations

import pytest

from detseg.export import ExportError, export_model


@pytest.mark.parametrize("classes", [["a"], ["a", "b", "c", "d"]])
def test_class_names_of_another_count_are_refused(tiny_model, tmp_path, classes):
    with pytest.raises(ExportError, match=rf"^unet: {len(classes)} class names .* model of 3 "):
        export_model(
            tiny_model("unet"),
            tmp_path / "u.pt",
            format="torchscript",
            classes=classes,
            name="unet",
        )
    assert not list(tmp_path.iterdir())


def test_one_name_per_class_is_written(tiny_model, tmp_path):
    result = export_model(
        tiny_model("unet"), tmp_path / "u.pt", format="torchscript", classes=["x", "y", "z"]
    )
    assert result.classes == ("x", "y", "z")

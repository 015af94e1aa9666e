"""``load_for_export`` / ``export_model`` take the class names as any sequence or iterable of
strings, read once: a generator (read by the check of the names, it left no name to export)
and a numpy array of strings (whose truth value is ambiguous) give the names in order; and a
numpy bool as ``dynamic``, as the Python API's other switches take it."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.export import export_model, load_for_export


@pytest.mark.parametrize(
    "classes",
    [
        lambda names: (name for name in names),
        lambda names: np.array(names),
        tuple,
    ],
    ids=["generator", "numpy", "tuple"],
)
def test_class_names_of_any_sequence_are_exported_in_order(tiny_model, classes):
    model = tiny_model("unet")
    names = [f"class {k}" for k in range(1, model.num_classes + 1)]
    _, _, exported = load_for_export(model, classes=classes(names))
    assert exported == names
    assert all(type(name) is str for name in exported)


@pytest.mark.parametrize("dynamic", [np.bool_(True), np.bool_(False)])
def test_a_numpy_bool_is_a_dynamic_switch(tiny_model, tmp_path, dynamic):
    result = export_model(tiny_model("unet"), tmp_path / "u.onnx", dynamic=dynamic)
    assert type(result.dynamic) is bool and result.dynamic == bool(dynamic)
    assert (result.input_shape[-1] == "width") == bool(dynamic)

"""A TorchScript export prints nothing of torch's: ``tools/export.py --format torchscript``
showed torch's "`torch.jit.save` is deprecated. Please switch to `torch.export`" notice, advice
meant for the exporter's own code, not its user."""

from __future__ import annotations

import warnings

from detseg.export import export_model


def test_a_torchscript_export_warns_nothing(tiny_model, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_model(tiny_model("unet"), tmp_path / "u.pt", format="torchscript")
    assert [str(w.message) for w in caught] == []

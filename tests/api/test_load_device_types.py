"""``detseg.load(checkpoint, device=None)`` (or a list) is refused in one line before the
checkpoint is read."""

from __future__ import annotations

import pytest

import detseg
from detseg.api import predictor as predictor_module


@pytest.mark.parametrize("device", [None, ["cpu"]], ids=["none", "list"])
def test_load_refuses_a_device_of_another_type_before_reading(
    detector_checkpoint, monkeypatch, device
):
    def read(*args, **kwargs):
        raise AssertionError("the checkpoint was read")

    monkeypatch.setattr(predictor_module, "load_checkpoint", read)
    expected = f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
    with pytest.raises(TypeError) as caught:
        detseg.load(detector_checkpoint, device=device)
    assert str(caught.value) == expected

"""``load(checkpoint, "auto", overrides)`` takes the device the overrides set, in either form
they come in: ``["device=cpu"]`` or ``{"device": "cpu"}``; an explicit ``device`` wins."""

from __future__ import annotations

import pytest

import detseg
from detseg.api import predictor as predictor_module


@pytest.fixture
def asked(monkeypatch):
    """The device each ``load`` resolves (always the CPU here, whatever was asked)."""
    seen: list[str] = []
    resolve = predictor_module.resolve_device

    def record(device):
        seen.append(str(device))
        return resolve("cpu")

    monkeypatch.setattr(predictor_module, "resolve_device", record)
    return seen


@pytest.mark.parametrize("overrides", [["device=cuda:1"], [" device=cuda:1"], {"device": "cuda:1"}])
def test_the_device_of_the_overrides_is_taken(detector_checkpoint, asked, overrides):
    detseg.load(detector_checkpoint, "auto", overrides)
    assert asked == ["cuda:1"]


def test_an_explicit_device_wins(detector_checkpoint, asked):
    detseg.load(detector_checkpoint, "cpu", {"device": "cuda:1"})
    assert asked == ["cpu"]

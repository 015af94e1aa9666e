"""A device of another type than ``str``, ``int`` or ``torch.device`` (``None``, a list, a
bool) is refused in one line, not with ``torch.device``'s list of overloads."""

from __future__ import annotations

import pytest
import torch

from detseg.engine.runtime.device import resolve_device


@pytest.mark.parametrize(
    "device", [None, ["cpu"], True, 1.0], ids=["none", "list", "bool", "float"]
)
def test_a_device_of_another_type_is_refused_in_one_line(device):
    expected = f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
    with pytest.raises(TypeError) as caught:
        resolve_device(device)
    assert str(caught.value) == expected


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")], ids=["str", "torch-device"])
def test_a_string_and_a_torch_device_are_taken(device):
    assert resolve_device(device) == torch.device("cpu")

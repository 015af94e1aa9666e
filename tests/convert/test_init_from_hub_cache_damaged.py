"""``model.init_from: torchvision:<builder>`` whose torch hub cache file is damaged or holds
another model's weights: one line naming ``model.init_from``, the cache file and why, and the
command that downloads it again (not ``tools/convert_torchvision.py``'s advice)."""

from __future__ import annotations

import re
import shlex

import pytest
import torch
from torchvision import models as tv_models

from detseg.convert.init_weights import init_source_state
from detseg.convert.torchvision_archs import build_torchvision

ARCH = "lraspp_mobilenet_v3_large"
OTHER = "deeplabv3_mobilenet_v3_large"


@pytest.fixture
def hub_file(tmp_path, monkeypatch):
    """Where ``torchvision:<ARCH>`` is read, in an empty torch hub cache under ``tmp_path``."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    name = tv_models.get_model_weights(ARCH).DEFAULT.url.rsplit("/", 1)[-1]
    path = tmp_path / "torch" / "hub" / "checkpoints" / name
    path.parent.mkdir(parents=True)
    return path


def _message(source: str) -> str:
    with pytest.raises(ValueError) as info:
        init_source_state(source)
    message = str(info.value)
    assert "\n" not in message, message
    return message


def _assert_says_download_again(message: str, path) -> None:
    start = (
        f"model.init_from torchvision:{ARCH}: the torch hub cache file {path} is damaged or is "
        f"not torchvision's {ARCH} weights ("
    )
    assert message.startswith(start), message
    assert "; delete it, then download them on a machine with internet access with `" in message
    assert "give a torchvision state-dict file" not in message and ", or auto" not in message
    curl = re.search(r"`(curl [^`]+)`", message)
    assert curl is not None, message
    assert shlex.split(curl.group(1))[-2:] == ["-o", str(path)]


def test_a_damaged_cache_file_says_to_download_it_again(hub_file):
    hub_file.write_bytes(bytes(range(256)) * 8)  # the unpickler: unsupported operand
    message = _message(f"torchvision:{ARCH}")
    _assert_says_download_again(message, hub_file)
    assert "(it is not a checkpoint (Unsupported operand" in message


def test_an_empty_cache_file_says_to_download_it_again(hub_file):
    hub_file.write_bytes(b"")  # an interrupted download
    message = _message(f"torchvision:{ARCH}")
    _assert_says_download_again(message, hub_file)
    assert "(it is empty (0 bytes))" in message


def test_another_models_weights_in_the_cache_file_say_so(hub_file):
    with torch.device("meta"):
        other = build_torchvision(OTHER, num_classes=21).state_dict()
    torch.save({k: torch.zeros(v.shape, dtype=v.dtype) for k, v in other.items()}, hub_file)
    message = _message(f"torchvision:{ARCH}")
    _assert_says_download_again(message, hub_file)
    assert f"(it does not fit {ARCH} (" in message and " tensors differ: " in message

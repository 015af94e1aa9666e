"""Missing ImageNet backbone weights: the message gives the two ways to get the file that
``torchvision:<builder>`` gives (torchvision's own download, or curl into the hub cache), and
the curl command fills an empty cache where the backbone then finds the file."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from detseg.backbones.weights import resolve_weights_path


def _message(arch: str, weights: str = "imagenet") -> str:
    with pytest.raises(FileNotFoundError) as info:
        resolve_weights_path(weights, arch)
    return str(info.value)


def test_the_message_gives_torchvisions_download(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    message = _message("resnet34", "IMAGENET1K_V1")
    assert (
        "`python -c \"import torchvision; torchvision.models.get_model('resnet34', "
        "weights='IMAGENET1K_V1')\"`"
    ) in message
    assert "https://download.pytorch.org/models/resnet34-" in message
    assert "\n" not in message


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_the_curl_command_puts_the_file_where_it_is_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no hub/checkpoints folder
    command = re.search(r"`(curl [^`]+)`", _message("resnet18"))
    assert command is not None
    args = shlex.split(command.group(1))
    [url] = [arg for arg in args if arg.startswith("https://")]
    assert url.endswith("/resnet18-f37072fd.pth")
    weights = tmp_path / "downloaded.pth"
    weights.write_bytes(b"the weights")
    args[args.index(url)] = weights.as_uri()  # the same command, reading a local file
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert resolve_weights_path("imagenet", "resnet18").read_bytes() == b"the weights"

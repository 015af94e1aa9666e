"""The download command that ``torchvision:<builder>`` gives for weights absent from the torch
hub cache works in an empty cache, where the ``hub/checkpoints`` folder does not exist yet."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from detseg.convert.torchvision_archs import hub_weights_file

ARCH = "fasterrcnn_mobilenet_v3_large_320_fpn"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_curl_command_fills_an_empty_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no hub/checkpoints folder
    with pytest.raises(FileNotFoundError) as info:
        hub_weights_file(ARCH)
    command = re.search(r"`(curl [^`]+)`", str(info.value))
    assert command is not None, str(info.value)
    args = shlex.split(command.group(1))
    [url] = [arg for arg in args if arg.startswith("https://")]
    weights = tmp_path / "downloaded.pth"
    weights.write_bytes(b"the weights")
    args[args.index(url)] = weights.as_uri()  # the same command, reading a local file
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert hub_weights_file(ARCH).read_bytes() == b"the weights"

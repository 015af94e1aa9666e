"""``is_torch_tensor`` tells tensors from arrays, and never loads torch itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import torch

from detseg.torch_tensors import is_torch_tensor


def test_tensors_and_arrays() -> None:
    assert is_torch_tensor(torch.zeros(2, 3))
    assert is_torch_tensor(torch.nn.Parameter(torch.zeros(1)))
    assert not is_torch_tensor(np.zeros((2, 3)))
    assert not is_torch_tensor([1.0, 2.0])
    assert not is_torch_tensor(None)


def test_the_test_does_not_import_torch() -> None:
    code = (
        "import sys, numpy\n"
        "from detseg.torch_tensors import is_torch_tensor\n"
        "print(is_torch_tensor(numpy.zeros(3)), 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]

"""The random states of a process: saved in ``last.pt`` and restored by ``--resume``, so that a
resumed run draws the same augmentations and samples as an uninterrupted one.

:func:`rng_state` holds Python's, NumPy's and torch's (CPU and CUDA) generators as plain
types and tensors, which ``torch.load(weights_only=True)`` reads back.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    """Python, NumPy, torch (and CUDA) random states as weights_only-safe types."""
    version, py_state, gauss = random.getstate()
    np_state = np.random.get_state(legacy=True)
    assert isinstance(np_state, tuple), "the global NumPy generator is an MT19937"
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np_state
    state: dict[str, Any] = {
        "python": {"version": version, "state": list(py_state), "gauss": gauss},
        "numpy": {
            "name": np_name,
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved.

    The CUDA states go to the GPUs this process sees, by index: a checkpoint written where more
    GPUs were visible (a resume on a smaller machine, or with fewer ``CUDA_VISIBLE_DEVICES``)
    restores the first ones, and a GPU it has no state for keeps its own.
    """
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npy = state["numpy"]
    keys = npy["keys"].numpy().astype(np.uint32)
    np.random.set_state((npy["name"], keys, npy["pos"], npy["has_gauss"], npy["gauss"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        visible = torch.cuda.device_count()
        for index, device_state in enumerate(state["cuda"][:visible]):
            torch.cuda.set_rng_state(device_state, index)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

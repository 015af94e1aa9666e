"""Suite-wide pytest hooks and fixtures.

- Tests marked ``cuda`` run only where a CUDA GPU is.
- Under pytest-xdist (``-n N``), torch runs on one thread in each worker process: N workers
  share the cores instead of each spreading over all of them.
- ``train_on_one_batch``: the overfit check of the training tests.
- ``run_tool``: a script of tools/ run as a user runs it, in a process of its own, on one
  thread. The processes are forks of one server per session that has imported torch and the
  other libraries (``fork_server.py``), so a run costs the script's own work rather than a torch
  import. Each has the command's ``sys.argv``, ``__main__``, working directory (the checkout),
  environment, exit code, stdout and stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from fork_server import ForkServer
from torch import Tensor, nn

REPO = Path(__file__).resolve().parents[1]
TOOL_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def _check_finite(losses: dict[str, Tensor], step: int) -> None:
    for key, value in losses.items():
        assert torch.isfinite(value), f"step {step}: {key} = {value.item()}"


def _train_on_one_batch(
    model: nn.Module, images: Any, targets: Any, steps: int, lr: float
) -> tuple[float, float]:
    """Train ``model`` (its ``losses``, plain Adam) ``steps`` times on one batch.

    Every loss term must stay finite. Returns ``(total loss of the first step, total loss
    after the last step)``, the latter from one more call under ``no_grad``.
    """
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    initial = None
    for step in range(steps):
        losses = model.losses(images, targets)
        _check_finite(losses, step)
        total = sum(losses.values())
        initial = total.item() if initial is None else initial
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    with torch.no_grad():
        final_losses = model.losses(images, targets)
    _check_finite(final_losses, steps)
    assert initial is not None
    return initial, sum(final_losses.values()).item()


@pytest.fixture
def train_on_one_batch() -> Callable[..., tuple[float, float]]:
    """``train_on_one_batch(model, images, targets, steps, lr) -> (initial, final)`` total loss."""
    return _train_on_one_batch


@pytest.fixture(scope="session")
def run_tool(tmp_path_factory):
    """``run_tool("eval.py", *args, timeout=300)``: the finished ``subprocess.CompletedProcess``
    (text) of ``python tools/eval.py args`` run from the checkout with ``OMP_NUM_THREADS=1``."""
    server = ForkServer(sys.executable, TOOL_ENV, REPO, tmp_path_factory.mktemp("tool_runs"))

    def run(script: str, *args: object, timeout: float = 300) -> subprocess.CompletedProcess:
        return server.run(REPO / "tools" / script, *args, timeout=timeout)

    yield run
    server.close()

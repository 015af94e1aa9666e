"""Fixtures of the end-to-end training tests of the tools (``test_tools_e2e.py``,
``test_config_trains_on_shapes.py``, ``test_config_trains_on_layouts.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from detseg.data.shapes import generate_shapes


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """Torch on one thread in this process while the module's tests run (two xdist workers
    share the two cores); a module takes it with ``pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def shapes(tmp_path_factory) -> Path:
    """16 train and 8 val shapes images of 128 px (COCO layout), seed 0."""
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=16, num_val=8, size=128, seed=0)
    return root

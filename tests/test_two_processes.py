"""``run_two_processes`` (tests/two_processes.py): each rank runs the script as ``python
script`` would, with its own gloo environment; a rank that fails stops the other at once (which
would wait for it at a collective until gloo's timeout) and fails the test with its own error;
a run past the timeout is killed."""

from __future__ import annotations

import subprocess

import pytest
from two_processes import REPO, run_two_processes

_ENVIRONMENT = """
import os
import sys

import torch

keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "OMP_NUM_THREADS")
print(*(os.environ[key] for key in keys), sys.argv[0], sys.path[0], os.getcwd())
print(torch.get_num_threads())
"""

_ONE_RANK_FAILS = """
import torch
import torch.distributed as torch_dist

torch_dist.init_process_group("gloo")
if torch_dist.get_rank() == 1:
    raise ValueError("rank 1 cannot go on")
torch_dist.all_reduce(torch.zeros(1))  # rank 0 waits here for rank 1
"""


def test_each_rank_runs_the_script_as_a_command_with_its_environment(tmp_path):
    outputs = run_two_processes(_ENVIRONMENT, tmp_path)
    script = tmp_path / "worker.py"
    for rank, out in enumerate(outputs):
        assert out.split() == [
            *(str(rank), str(rank), "2", "127.0.0.1", "1"),
            *(str(script), str(tmp_path), str(REPO), "1"),
        ]


def test_a_failed_rank_fails_the_run_with_its_error_at_once(tmp_path):
    with pytest.raises(AssertionError, match="ValueError: rank 1 cannot go on"):
        run_two_processes(_ONE_RANK_FAILS, tmp_path, timeout=60)
    # the server goes on serving
    assert run_two_processes("print('again')", tmp_path) == ["again\n", "again\n"]


def test_a_run_past_the_timeout_is_killed(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired):
        run_two_processes("import time\ntime.sleep(300)\n", tmp_path, timeout=1)
    assert run_two_processes("print('again')", tmp_path) == ["again\n", "again\n"]

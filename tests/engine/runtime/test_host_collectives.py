"""The collectives of host values (flags, counts, objects) go through the gloo group that
``init_distributed`` makes beside a NCCL default group, so that they never wait for the GPU.

A CPU run's default group is gloo already (no side group); the test makes two CPU processes
take the NCCL run's path: ``_needs_host_group`` answers yes, so ``init_distributed`` makes the
side group, and every collective call records the group it was given.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from detseg.engine.runtime.launcher import free_port, worker_environment

SCRIPT = """
import json, sys
import torch
import torch.distributed as torch_dist
import detseg.engine.runtime.distributed as d

d._needs_host_group = lambda backend: True  # the NCCL run's path, on gloo
calls = []
for name in ("all_reduce", "gather_object", "all_gather_object", "broadcast_object_list"):
    original = getattr(torch_dist, name)
    def recorded(*args, _original=original, _name=name, **kwargs):
        calls.append([_name, kwargs.get("group") is d._host_group])
        return _original(*args, **kwargs)
    setattr(torch_dist, name, recorded)

dist, _ = d.init_distributed("cpu")
side_group = d._host_group is not None and d._host_group is not torch_dist.group.WORLD
side_backend = torch_dist.get_backend(d._host_group)
rank = dist.rank
out = {
    "side_group": side_group,
    "side_backend": side_backend,
    "any_one": d.any_true(rank == 1, dist),
    "any_none": d.any_true(False, dist),
    "sum": d.sum_across(torch.tensor([1.0, float(rank)]), dist).tolist(),
    "gathered": d.gather_to_main({"rank": rank}, dist),
    "all": d.all_gather(rank * 10, dist),
    "main": d.broadcast_from_main(f"from {rank}", dist),
    "calls": calls,
}
d.destroy_distributed(dist)
out["after_destroy"] = d._host_group is None
print(json.dumps(out))
"""


def test_host_values_go_through_the_gloo_side_group(tmp_path: Path) -> None:
    script = tmp_path / "collectives.py"
    script.write_text(SCRIPT)
    port = free_port()
    runs = []
    for rank in range(2):
        env = worker_environment(rank, 2, port)
        env["OMP_NUM_THREADS"] = "1"
        runs.append(
            subprocess.Popen(
                [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
            )
        )
    results = []
    for run in runs:
        stdout, _ = run.communicate(timeout=120)
        assert run.returncode == 0
        results.append(json.loads(stdout.splitlines()[-1]))
    for rank, result in enumerate(results):
        assert result["side_group"] and result["side_backend"] == "gloo"
        assert result["any_one"] is True and result["any_none"] is False
        assert result["sum"] == [2.0, 1.0]
        assert result["gathered"] == ([{"rank": 0}, {"rank": 1}] if rank == 0 else None)
        assert result["all"] == [0, 10]
        assert result["main"] == "from 0"
        assert result["after_destroy"]
        names = [name for name, _ in result["calls"]]
        assert names.count("all_reduce") == 3  # two flags and a sum
        assert {"gather_object", "all_gather_object", "broadcast_object_list"} <= set(names)
        assert all(side for _, side in result["calls"]), result["calls"]

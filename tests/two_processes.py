"""Run a script as the two processes of a gloo process group, for the tests of what a
distributed run agrees on (each process's stdout comes back; a failed process fails the test).

The script calls ``torch.distributed.init_process_group("gloo")``: ``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR`` and a free ``MASTER_PORT`` are in its environment, with this checkout first on
``PYTHONPATH``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_two_processes(script: str, folder: Path, timeout: float = 120) -> list[str]:
    """The stdout of ranks 0 and 1 running ``script`` (Python source) from ``folder``.

    Raises:
        AssertionError: a process exited with an error (its stderr is the message).
        subprocess.TimeoutExpired: a process ran past ``timeout`` seconds (both are killed).
    """
    path = folder / "worker.py"
    path.write_text(script)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE="2")
    procs = [
        subprocess.Popen(
            [sys.executable, str(path)],
            env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for rank in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
            outputs.append(out)
    finally:  # a process that waits for the other (a hang, a failure) must not outlive the test
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs

"""Run a script as the two processes of a gloo process group, for the tests of what a
distributed run agrees on (each process's stdout comes back; a failed process fails the test).

The script calls ``torch.distributed.init_process_group("gloo")``: ``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and a free ``MASTER_PORT`` are in its environment, with this
checkout first on ``PYTHONPATH`` and ``OMP_NUM_THREADS=1``. It runs as ``python script`` from
the checkout would (``sys.argv[0]`` is the script, ``sys.path[0]`` its folder, see
:func:`fork_server._run_child`).

The two processes are forks of one server per test process (this file run as a script, started
at the first call, stopped at exit) that has imported torch and the detseg modules the scripts
use: a run costs the script's own work, not two imports of torch and detseg (seconds each). The
server answers one request per line of its stdin, a JSON list ``[script, port, timeout, out0,
err0, out1, err1]``: it forks rank 0 and rank 1 (stdout and stderr into the given files), waits
for them and writes one JSON line, ``[[[rank, exit status], ...], timed out]``.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from fork_server import _run_child

REPO = Path(__file__).resolve().parents[1]

#: Imported once by the server: what the scripts' imports spend their time on.
PRELOADED = (
    "torch",
    "torch.distributed",
    "detseg.engine.training",
    "detseg.engine.validation",
    "detseg.engine.runtime.distributed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """The client side of the server: one run at a time."""

    def __init__(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
            text=True,
        )

    def run(self, script: Path, timeout: float) -> list[str]:
        files = [script.parent / f"rank{r}.{what}" for r in (0, 1) for what in ("out", "err")]
        request = [str(script), _free_port(), timeout, *map(str, files)]
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            assert self.process.stderr is not None
            raise RuntimeError(f"two_processes.py stopped:\n{self.process.stderr.read()[-3000:]}")
        ends, timed_out = json.loads(answer)
        if timed_out:
            raise subprocess.TimeoutExpired(str(script), timeout)
        errors = [  # the first to fail is the cause: the other was stopped, or lost it
            f"rank {rank} (exit status {code}):\n{files[2 * rank + 1].read_text()}"
            for rank, code in ends
            if code != 0
        ]
        assert not errors, "\n".join(errors)
        return [files[2 * r].read_text() for r in (0, 1)]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


_server: _Server | None = None


def run_two_processes(script: str, folder: Path, timeout: float = 120) -> list[str]:
    """The stdout of ranks 0 and 1 running ``script`` (Python source) from ``folder``.

    Raises:
        AssertionError: a process exited with an error (its stderr is the message).
        subprocess.TimeoutExpired: the processes ran past ``timeout`` seconds (both are killed).
    """
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = _Server()
        atexit.register(_server.close)
    path = folder / "worker.py"
    path.write_text(script)
    return _server.run(path, timeout)


def _rank_env(rank: int, port: int) -> dict[str, str]:
    return {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "WORLD_SIZE": "2",
        "RANK": str(rank),
        "LOCAL_RANK": str(rank),
    }


def _stop(pids: dict[int, int]) -> None:
    """Kill the processes of ``pids`` that are still running."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _serve_one(script: str, port: int, timeout: float, *files: str) -> None:
    """Fork rank 0 and rank 1 of ``script`` (stdout and stderr into ``files``); write one line
    ``[[[rank, exit status], ...], timed out]``: the ranks in the order they ended, and whether
    they ran past ``timeout`` seconds (then both were killed). A failed process stops the other,
    which may wait for it at a collective."""
    running: dict[int, int] = {}  # pid -> rank
    for rank in (0, 1):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            os.environ.update(_rank_env(rank, port))
            _run_child(script, files[2 * rank], files[2 * rank + 1], [])
        running[pid] = rank
    timed_out = []

    def expire(signum: int, frame: object) -> None:
        timed_out.append(True)
        _stop(running)

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    ends = []
    while running:
        pid, status = os.wait()
        code = os.waitstatus_to_exitcode(status)
        ends.append([running.pop(pid), code])
        if code != 0:
            _stop(running)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps([ends, bool(timed_out)]), flush=True)


def serve() -> None:
    for name in PRELOADED:
        importlib.import_module(name)
    gc.freeze()  # a child's collections skip the server's objects (and leave their pages shared)
    for request in sys.stdin:
        _serve_one(*json.loads(request))


if __name__ == "__main__":
    serve()

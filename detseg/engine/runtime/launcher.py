"""One data-parallel run on this machine: the N worker processes of ``tools/train.py --nproc N``.

It does for one machine what ``torchrun --standalone --nproc_per_node N`` does, with what a
person at a terminal expects of a command:

- Every worker gets a torchrun worker's environment: ``RANK`` = ``LOCAL_RANK`` (0 to N-1),
  ``WORLD_SIZE`` = ``LOCAL_WORLD_SIZE`` = N, ``MASTER_ADDR`` = 127.0.0.1 and a free
  ``MASTER_PORT``, which :func:`~detseg.engine.runtime.distributed.init_distributed` reads.
  ``OMP_NUM_THREADS`` is the machine's cores divided by N, unless it is set already.
- The workers run in their own process group, so Ctrl-C reaches the launcher alone, and the
  launcher passes each SIGINT or SIGTERM on to every worker exactly once. The first one stops
  training after the current step with a ``last.pt``; a second one stops at once
  (:mod:`~detseg.engine.checkpointing.interrupt`). Under torchrun the terminal's signal and
  torchrun's own copy of it both reach a worker, which may then take them for two.
- A worker that fails (a non-zero exit without a signal from the user) ends the run: the others
  get ``failure_grace_s`` seconds to end by themselves, then they are killed. Checkpoints are
  written atomically, so a killed write leaves the previous file in place. The exit code is the
  first failed worker's, or ``128 + signal`` after an interruption.
- An error every worker meets (a wrong ``data.root``) is printed once. Rank 0 writes straight to
  the terminal; the other ranks' output goes through the launcher, which holds back their error
  lines (``<tool>: error: ...``) and prints them only when rank 0 did not end with an error of
  its own (exit code 2).

Process groups and signals make it POSIX-only (Linux, macOS); elsewhere use torchrun.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

logger = logging.getLogger(__name__)

#: The exit code of a user error (``run_command``): the worker printed its own error line.
USER_ERROR_EXIT_CODE = 2

_ERROR_LINE = re.compile(r"^\S+: error: ")


@dataclass
class _Worker:
    """One worker process, and the error lines held back from its output (ranks > 0)."""

    rank: int
    process: subprocess.Popen[bytes]
    held_errors: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now (the rendezvous port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_environment(
    rank: int, nproc: int, port: int, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of worker ``rank`` of ``nproc``: ``base`` (default ``os.environ``) plus
    what a torchrun worker gets on one machine, and ``DETSEG_LAUNCHED=1``."""
    env = dict(os.environ if base is None else base)
    env.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(nproc),
        LOCAL_WORLD_SIZE=str(nproc),
        GROUP_RANK="0",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        DETSEG_LAUNCHED="1",
    )
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    return env


def check_process_count(nproc: int, device_name: str) -> None:
    """Refuse more processes than GPUs when the run's device (the config's ``device``) is
    CUDA: one process per GPU. CPU processes share the cores and may be any number; more
    than the cores is warned about (each process then trains on a share of one core, and
    every step waits for the slowest: slower than one process per core).

    Raises:
        ValueError: ``nproc`` exceeds the visible GPUs of a CUDA run, or the run asks for
            CUDA on a machine without a GPU.
    """
    from detseg.engine.runtime.device import resolve_device  # imports torch

    device = resolve_device(device_name)
    if device.type != "cuda":
        cores = os.cpu_count() or 1
        if nproc > cores:
            logger.warning(
                "--nproc %d starts more processes than this machine's %d CPU cores: they "
                "share the cores and train slower than --nproc %d (more is only for trying a "
                "multi-process setup)",
                nproc,
                cores,
                cores,
            )
        return
    import torch

    gpus = torch.cuda.device_count()
    if nproc > gpus:
        raise ValueError(
            f"--nproc {nproc} asks for one process per GPU, but this machine has {gpus}; use "
            f"--nproc {gpus} or fewer, or --set device=cpu for CPU processes"
        )


def launch_local(
    command: Sequence[str],
    nproc: int,
    *,
    failure_grace_s: float = 10.0,
    poll_s: float = 0.1,
    env: Mapping[str, str] | None = None,
    name: str = "detseg",
) -> int:
    """Run ``command`` as ``nproc`` worker processes of one data-parallel run; wait for them.

    Call it from the main thread (it handles SIGINT and SIGTERM while the workers run).

    Args:
        command: the worker's command line, e.g. ``[sys.executable, "tools/train.py", ...]``.
        nproc: number of workers, at least 1.
        failure_grace_s: after a worker failed, how long the others may take to end by
            themselves before they are killed.
        poll_s: how often the workers' states are read.
        env: the workers' base environment (default ``os.environ``).
        name: the command's name, the prefix of the launcher's own error lines (``"train"``).

    Returns:
        0 when every worker ended with 0; ``128 + signal`` when the user interrupted the run;
        else the exit code of the first worker that failed (``128 + s`` for a worker ended by
        signal ``s``, as a shell reports it).

    Raises:
        ValueError: ``nproc`` is below 1.
    """
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc}")
    port = free_port()
    workers = [_start(command, rank, nproc, port, env) for rank in range(nproc)]
    received: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        failed, killed = _wait(workers, received, failure_grace_s, poll_s)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for worker in workers:
            if worker.process.poll() is None:  # only after an exception in the launcher
                worker.process.kill()
                worker.process.wait()
    for worker in workers:
        if worker.reader is not None:
            worker.reader.join()
    _show_held_errors(workers)
    if received:
        return 128 + received[0]
    for line in _signal_deaths(workers, killed):
        sys.stderr.write(f"{name}: error: {line}")
    if failed is None:
        return 0
    code = failed.process.returncode
    return code if code > 0 else 128 - code  # a worker ended by signal s: 128 + s, as a shell


def _start(
    command: Sequence[str], rank: int, nproc: int, port: int, env: Mapping[str, str] | None
) -> _Worker:
    """Start worker ``rank`` in its own process group; ranks > 0 send their output through
    a reader thread of the launcher."""
    piped = rank > 0
    process = subprocess.Popen(
        list(command),
        env=worker_environment(rank, nproc, port, env),
        stdout=subprocess.PIPE if piped else None,
        stderr=subprocess.STDOUT if piped else None,
        preexec_fn=_worker_setup,
    )
    worker = _Worker(rank, process)
    if piped:
        assert process.stdout is not None
        worker.reader = threading.Thread(
            target=_relay, args=(process.stdout, worker.held_errors), daemon=True
        )
        worker.reader.start()
    return worker


def _worker_setup() -> None:
    """In the worker, before it runs: its own process group (the terminal's Ctrl-C reaches the
    launcher only), and on Linux a SIGTERM when the launcher dies (killed with SIGKILL, it
    cannot pass anything on), so that no worker outlives its run."""
    os.setpgid(0, 0)
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


def _relay(stream: IO[bytes], held_errors: list[str]) -> None:
    """Copy a worker's output to the launcher's stderr, line by line, holding back error lines."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        if _ERROR_LINE.match(line):
            held_errors.append(line)
        else:
            sys.stderr.write(line)
            sys.stderr.flush()
    stream.close()


def _wait(
    workers: list[_Worker], received: list[int], failure_grace_s: float, poll_s: float
) -> tuple[_Worker | None, set[int]]:
    """Wait for every worker; returns the first that failed (``None`` if none did) and the
    ranks the launcher killed.

    After a failure that no user signal explains, the workers still running get
    ``failure_grace_s`` seconds, then are killed.
    """
    failed: _Worker | None = None
    deadline: float | None = None
    killed: set[int] = set()
    while [w for w in workers if w.process.poll() is None]:  # polls every worker (not any())
        if failed is None:
            failed = next((w for w in workers if w.process.returncode not in (None, 0)), None)
            if failed is not None and not received:
                deadline = time.monotonic() + failure_grace_s
        if deadline is not None and time.monotonic() > deadline:
            for worker in workers:
                if worker.process.poll() is None:
                    worker.process.kill()
                    killed.add(worker.rank)
        time.sleep(poll_s)
    if failed is None:
        failed = next((w for w in workers if w.process.returncode != 0), None)
    return failed, killed


def _show_held_errors(workers: list[_Worker]) -> None:
    """Print the held error lines of ranks > 0, unless rank 0 reported an error itself."""
    if workers[0].process.returncode == USER_ERROR_EXIT_CODE:
        return  # every rank reads the same config and data: rank 0 said it
    for worker in workers[1:]:
        for line in worker.held_errors:
            sys.stderr.write(f"[rank {worker.rank}] {line}")
    sys.stderr.flush()


def _signal_name(signum: int) -> str:
    """``"SIGKILL"`` for 9; the number for a signal Python does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _signal_deaths(workers: list[_Worker], killed: set[int]) -> list[str]:
    """A line for each worker that a signal ended which neither the user nor the launcher
    sent (the kernel's out-of-memory killer, a crash)."""
    lines = []
    for worker in workers:
        code = worker.process.returncode
        if code is not None and code < 0 and worker.rank not in killed:
            lines.append(
                f"process {worker.rank} of {len(workers)} was ended by {_signal_name(-code)}"
                f"{' (out of memory?)' if -code == signal.SIGKILL else ''}\n"
            )
    return lines

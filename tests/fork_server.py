"""Python scripts run as commands, each in a process of its own, without a torch import each.

``ForkServer(python, env, cwd, folder)`` starts this file as a server under the interpreter
``python``, with the environment ``env`` and working directory ``cwd``; ``server.run(script,
*args)`` gives the ``subprocess.CompletedProcess`` (text) of ``python script args``.
(``pyproject.toml`` puts ``tests/`` on the import path: ``from fork_server import ForkServer``.)

The server imports the third-party libraries of detseg (torch, torchvision, ...: most of the
start-up time of a command), then answers one request per line of its stdin, a JSON list
``[script, stdout file, stderr file, *args]``: it forks, writes the child's pid, waits for it
and writes its exit status as ``subprocess`` gives it (``-N`` for signal N), one line each.

The child is a process of its own, as ``python script args`` is: ``sys.argv`` and
``sys.path[0]`` as that command sets them, stdin ``/dev/null``, stdout and stderr the two
files, detseg and the script imported afresh, the script run as ``__main__``. It ends the way
the interpreter ends a script (the script's ``SystemExit`` code, or the traceback and exit code
1 of an uncaught exception; then the non-daemon threads are joined, the atexit handlers run, the
garbage collected and the output flushed), up to the clearing of the modules, which it leaves
out: in a fork that clearing writes to every page of the server's memory (seconds).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

#: Imported by the server once (not detseg: each child imports it as the command does).
LIBRARIES = (
    "numpy",
    "torch",
    "torchvision",
    "matplotlib",
    "albumentations",
    "cv2",
    "PIL.Image",
    "yaml",
    "tqdm",
    "pycocotools.coco",
)


class ForkServer:
    """The client side: one run at a time (a lock keeps threads in turn)."""

    def __init__(self, python: str | Path, env: Mapping[str, str], cwd: Path, folder: Path):
        self.python = str(python)
        self.folder = folder
        self.runs = 0
        self.lock = threading.Lock()
        self.buffer = b""
        self.log = open(folder / "server.log", "wb")  # closed by close()
        self.process = subprocess.Popen(
            [self.python, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=dict(env),
            cwd=cwd,
        )

    def _line(self, timeout: float) -> str | None:
        """The server's next line, or ``None`` after ``timeout`` seconds without one."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                log = (self.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"fork_server.py stopped:\n{log[-3000:]}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def run(
        self, script: str | Path, *args: object, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        """``python script args``, finished (``subprocess.TimeoutExpired`` after ``timeout`` s)."""
        argv = [self.python, str(script), *map(str, args)]
        with self.lock:
            self.runs += 1
            out = self.folder / f"{self.runs}.stdout"
            err = self.folder / f"{self.runs}.stderr"
            assert self.process.stdin is not None
            request = json.dumps([str(script), str(out), str(err), *argv[2:]])
            self.process.stdin.write(request.encode() + b"\n")
            self.process.stdin.flush()
            pid = int(self._line(120) or "0")
            assert pid > 0, "fork_server.py did not start the run"
            returncode = self._line(timeout)
            if returncode is None:
                os.kill(pid, signal.SIGKILL)
                self._line(60)
                raise subprocess.TimeoutExpired(argv, timeout, out.read_text(), err.read_text())
        return subprocess.CompletedProcess(argv, int(returncode), out.read_text(), err.read_text())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.log.close()


def _exit_code(stop: SystemExit) -> int:
    """The exit status the interpreter gives ``raise SystemExit(code)``."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


def _run_child(script: str, stdout: str, stderr: str, args: list[str]) -> NoReturn:
    """Become the command's process and end it with the script's exit status."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, stdout), (2, stderr)):
        file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(file, fd)
        os.close(file)
    sys.argv = [script, *args]
    sys.path[0] = str(Path(script).resolve().parent)
    code = 1
    try:
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as stop:
            code = _exit_code(stop)
        except BaseException:
            sys.excepthook(*sys.exc_info())
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()
        gc.collect()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve() -> None:
    for name in LIBRARIES:
        importlib.import_module(name)
    gc.freeze()  # a child's collections skip the server's objects (and leave their pages shared)
    for line in sys.stdin:
        script, stdout, stderr, *args = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(script, stdout, stderr, args)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()

"""The local launcher of ``tools/train.py --nproc N``: environment, exit codes, one error line,
signals passed on exactly once.

The workers here are small Python scripts (no torch); each test runs the launcher in a
subprocess of its own, so that its stderr and the signals sent to it can be observed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from detseg.engine.runtime.launcher import launch_local, worker_environment

REPO = Path(__file__).resolve().parents[3]


def _launch(tmp_path: Path, worker_code: str, nproc: int = 2, grace: float = 0.5):
    """Start a launcher process running ``worker_code`` in ``nproc`` workers."""
    worker = tmp_path / "worker.py"
    worker.write_text(textwrap.dedent(worker_code))
    launcher = (
        "import sys\n"
        "from detseg.engine.runtime.launcher import launch_local\n"
        f"sys.exit(launch_local([sys.executable, {str(worker)!r}], {nproc}, "
        f"failure_grace_s={grace}, name='train'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "OUT": str(tmp_path)}
    return subprocess.Popen(  # its own process group, as a command started from a terminal
        [sys.executable, "-c", launcher],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def test_worker_environment_is_torchruns_on_one_machine():
    env = worker_environment(1, 4, 29500, base={"PATH": "/bin"})
    assert {k: env[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")} == {
        "RANK": "1",
        "LOCAL_RANK": "1",
        "WORLD_SIZE": "4",
        "LOCAL_WORLD_SIZE": "4",
    }
    assert env["MASTER_ADDR"] == "127.0.0.1" and env["MASTER_PORT"] == "29500"
    assert env["PATH"] == "/bin" and env["DETSEG_LAUNCHED"] == "1"
    assert env["OMP_NUM_THREADS"] == str(max(1, (os.cpu_count() or 1) // 4))
    assert worker_environment(0, 4, 1, base={"OMP_NUM_THREADS": "3"})["OMP_NUM_THREADS"] == "3"


def test_every_rank_runs_and_the_run_succeeds(tmp_path):
    code, err = _finish(
        _launch(
            tmp_path,
            """
            import os, pathlib
            keys = ("RANK", "WORLD_SIZE", "MASTER_PORT")
            text = " ".join(os.environ[k] for k in keys)
            pathlib.Path(os.environ["OUT"], "rank" + os.environ["RANK"]).write_text(text)
            """,
            nproc=3,
        )
    )
    assert code == 0, err
    seen = [(tmp_path / f"rank{r}").read_text().split() for r in range(3)]
    assert [s[0] for s in seen] == ["0", "1", "2"] and {s[1] for s in seen} == {"3"}
    assert len({s[2] for s in seen}) == 1  # one rendezvous port for all


def test_an_error_every_rank_meets_is_printed_once(tmp_path):
    code, err = _finish(
        _launch(
            tmp_path,
            """
            import sys
            sys.stderr.write("train: error: data.root 'x' is not a folder\\n")
            sys.exit(2)
            """,
        )
    )
    assert code == 2
    assert err.count("train: error:") == 1, err


def test_an_error_of_another_rank_is_shown_and_rank_0_is_stopped(tmp_path):
    started = time.monotonic()
    code, err = _finish(
        _launch(
            tmp_path,
            """
            import os, sys, time
            if os.environ["RANK"] == "1":
                sys.stderr.write("train: error: local rank 1 has no GPU\\n")
                sys.exit(2)
            time.sleep(60)  # rank 0 waits for rank 1 forever
            """,
        )
    )
    assert code == 2
    assert "[rank 1] train: error: local rank 1 has no GPU" in err
    assert time.monotonic() - started < 30  # rank 0 was killed after the grace time


def test_a_worker_killed_by_a_signal_is_named(tmp_path):
    code, err = _finish(
        _launch(
            tmp_path,
            """
            import os, signal, time
            if os.environ["RANK"] == "1":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(60)
            """,
        )
    )
    assert code == 128 + signal.SIGKILL
    assert "train: error: process 1 of 2 was ended by SIGKILL (out of memory?)" in err
    assert "process 0" not in err  # the launcher killed rank 0 itself: no line for it


def test_ctrl_c_reaches_each_worker_exactly_once(tmp_path):
    process = _launch(
        tmp_path,
        """
        import os, pathlib, signal, sys, time
        out = pathlib.Path(os.environ["OUT"])
        rank = os.environ["RANK"]
        got = []
        signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
        (out / f"ready{rank}").write_text("")
        while not got:
            time.sleep(0.05)
        time.sleep(1.0)  # a second signal would land here
        (out / f"signals{rank}").write_text(f"{len(got)} {os.getpgid(0)}")
        sys.exit(130)
        """,
        grace=30.0,
    )
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready{r}").exists() for r in range(2)):
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
    code, err = _finish(process)
    assert code == 130, err
    reports = [(tmp_path / f"signals{r}").read_text().split() for r in range(2)]
    assert [count for count, _ in reports] == ["1", "1"]
    # outside the launcher's process group: the terminal's Ctrl-C reaches only the launcher
    assert all(int(group) != process.pid for _, group in reports)


def test_nproc_must_be_positive():
    with pytest.raises(ValueError, match="nproc must be >= 1"):
        launch_local([sys.executable, "-c", "pass"], 0)


def test_more_processes_than_gpus_is_refused(monkeypatch):
    import torch

    from detseg.engine.runtime import launcher

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    launcher.check_process_count(2, "auto")  # one per GPU
    with pytest.raises(ValueError, match="--nproc 4 asks for one process per GPU, but this"):
        launcher.check_process_count(4, "auto")
    launcher.check_process_count(4, "cpu")  # CPU processes share the cores


def test_more_cpu_processes_than_cores_are_warned_about(monkeypatch, caplog):
    """``--nproc 999`` on a CPU started 999 training processes without a word."""
    from detseg.engine.runtime import launcher

    monkeypatch.setattr(launcher.os, "cpu_count", lambda: 2)
    with caplog.at_level(logging.WARNING, logger=launcher.__name__):
        launcher.check_process_count(2, "cpu")
        assert caplog.records == []
        launcher.check_process_count(999, "cpu")
    assert [r.getMessage() for r in caplog.records] == [
        "--nproc 999 starts more processes than this machine's 2 CPU cores: they share the "
        "cores and train slower than --nproc 2 (more is only for trying a multi-process setup)"
    ]

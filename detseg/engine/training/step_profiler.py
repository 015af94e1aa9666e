"""Where a training step's time goes: ``train.profile_steps`` steps of a real run under
``torch.profiler`` (``tools/train.py --profile N``), as MMDetection's ``ProfilerHook`` does.

The profiled steps are steps of the real loop (data loading, forward, backward, optimizer,
the step's bookkeeping), on rank 0 only, after ``train.profile_warmup`` steps of this process
(allocator, cuDNN autotuning, ``torch.compile``, loader workers). A run with fewer steps left
profiles its last ``profile_steps`` steps (or all of them) and says so. The profiler records CPU
ops, and on CUDA the device's kernels too. It is paused between epochs (evaluation and the
epoch's checkpoint stay out) and stopped after the last profiled step: the other steps run
exactly as without it, and the weights end bit for bit the same.

It writes ``WORK_DIR/profile/`` (a previous one moves aside to ``profile.1/``):

- ``ops.txt``: ``key_averages()`` of the profiled steps, ranked by self CUDA time on CUDA,
  by self CPU time elsewhere (the row ``train step`` is the host time of the steps outside
  any op: Python, waiting for data);
- ``trace.json``: the chrome trace (``chrome://tracing``, https://ui.perfetto.dev), one
  ``train step`` range per step;
- ``summary.json``: the steps and iterations profiled, wall ms per step, the share of it spent
  waiting for the loader (``data_wait``, as the loop measures it), images per second (under
  the profiler), the top ops per step and, on CUDA, kernel launches and host-device
  synchronisations per step (counted as :mod:`detseg.engine.runtime.profile_counts` counts
  them; ``null`` elsewhere);

and logs one line with the main numbers and where the files are. Wall times are the
profiled steps' own: the profiler slows the host down a little, so the run's ``img_per_s``
records stay the throughput figures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from detseg.config.schema import TrainConfig
from detseg.engine.records.metric_log import keep_previous_log
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.runtime.profile_counts import SyncCounter, count_launches, top_ops
from detseg.engine.solver.schedules import run_iterations
from detseg.engine.training.loop_results import StepInfo

logger = logging.getLogger(__name__)

PROFILE_DIR = "profile"  # under the work dir
STEP_RANGE = "train step"  # the trace's range around each profiled step
TABLE_ROWS = 40  # ops in ops.txt
SUMMARY_OPS = 10  # ops in summary.json


@dataclass(frozen=True)
class ProfileWindow:
    """Which steps of this process are profiled: ``steps`` steps after ``warmup`` steps.

    Attributes:
        warmup: steps of this process before the first profiled one.
        steps: steps profiled.
        requested_warmup, requested_steps: ``train.profile_warmup`` and ``train.profile_steps``.
    """

    warmup: int
    steps: int
    requested_warmup: int
    requested_steps: int

    @property
    def shortened(self) -> bool:
        """The run is too short for the requested window."""
        return (self.warmup, self.steps) != (self.requested_warmup, self.requested_steps)


def profile_window(steps: int, warmup: int, steps_left: int) -> ProfileWindow:
    """The window of ``steps`` steps after ``warmup``, within the ``steps_left`` steps this
    process will run: when they do not fit, the last ``steps`` steps (all, if fewer).

    >>> profile_window(10, 10, 100)
    ProfileWindow(warmup=10, steps=10, requested_warmup=10, requested_steps=10)
    >>> profile_window(10, 10, 15)  # steps 5..14
    ProfileWindow(warmup=5, steps=10, requested_warmup=10, requested_steps=10)
    >>> profile_window(10, 10, 4)  # all of them
    ProfileWindow(warmup=0, steps=4, requested_warmup=10, requested_steps=10)
    """
    profiled = max(min(steps, steps_left), 0)
    return ProfileWindow(max(min(warmup, steps_left - profiled), 0), profiled, warmup, steps)


def steps_left(train: TrainConfig, batches_per_epoch: int, iteration: int) -> int:
    """Optimizer steps a run of ``train`` still takes from global ``iteration`` on (all
    epochs, at most ``train.max_iters`` in total), with ``batches_per_epoch`` batches an epoch."""
    total = run_iterations(train, math.ceil(batches_per_epoch / train.accumulate))
    return max(total - iteration, 0)


@dataclass
class _Step:
    """One profiled step: its iteration, wall seconds, seconds waiting for data, images."""

    iteration: int
    seconds: float
    waited: float
    images: int


@dataclass
class StepProfiler:
    """Profiles one window of a run's steps; driven by the loop's epochs and steps.

    Call :meth:`epoch_start` before and :meth:`epoch_end` after each call of
    ``train_one_epoch`` (:func:`profiled_epoch`), :meth:`after_step` after every optimizer
    step, and :meth:`finish` when the run ends (:func:`profiling`).

    Attributes:
        out_dir: where the files go (``WORK_DIR/profile``).
        device: the run's device; kernels, launches and syncs are recorded on CUDA only.
        window: the steps to profile.
        world_size: processes of the run (images per second count all of them).
    """

    out_dir: Path
    device: torch.device
    window: ProfileWindow
    world_size: int = 1
    _seen: int = 0  # steps of this process so far
    _prof: Any = None  # the torch.profiler.profile, once started
    _collecting: bool = False
    _done: bool = False
    _in_epoch: bool = False
    _step_start: float = 0.0
    _step_range: Any = None
    _syncs: SyncCounter | None = None
    _steps: list[_Step] = field(default_factory=list)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def _activities(self) -> list[ProfilerActivity]:
        return [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if self.cuda else [])

    def epoch_start(self) -> None:
        """An epoch's steps begin: collect (again) if the window is due."""
        self._in_epoch = True
        self._open_if_due()

    def epoch_end(self) -> None:
        """An epoch's steps are over: pause until the next epoch."""
        self._in_epoch = False
        if self._collecting:
            self._pause()

    def after_step(self, info: StepInfo) -> None:
        """A step ended: record it, and start, go on with or end the window."""
        self._seen += 1
        if not self._collecting:
            self._open_if_due()
            return
        last = len(self._steps) + 1 == self.window.steps
        if last:
            self._stop_counting()
        now = time.perf_counter()
        waited = info.data_wait * info.seconds  # the loop's measure, over its own step span
        self._steps.append(
            _Step(info.iteration, now - self._step_start, waited, len(info.image_ids))
        )
        self._step_range.__exit__(None, None, None)
        if last:
            self._prof.stop()
            self._collecting, self._done = False, True
            self._write()
        else:
            self._begin_step()

    def finish(self) -> None:
        """The run ended: write what was profiled if the window did not complete."""
        if self._collecting:
            self._pause()
        if self._done:
            return
        self._done = True
        if self._prof is None:
            logger.warning("profiling: the run ended before the first profiled step")
            return
        self._prof.stop()
        if not self._steps:
            logger.warning("profiling: the run ended before the first profiled step ended")
            return
        logger.warning(
            "profiling: the run ended after %d of the %d steps to profile",
            len(self._steps),
            self.window.steps,
        )
        self._write()

    def close(self) -> None:
        """Stop without writing (the run failed); the failure's own error stays the one shown."""
        with contextlib.suppress(Exception):
            if self._syncs is not None:
                self._syncs.stop()
        with contextlib.suppress(Exception):
            if self._prof is not None and not self._done:
                self._prof.stop()
        self._collecting, self._done = False, True

    def _open_if_due(self) -> None:
        due = self._in_epoch and not self._done and self._seen >= self.window.warmup
        if not due or self.window.steps == 0:
            return
        if self.cuda:
            torch.cuda.synchronize(self.device)  # earlier steps' kernels stay out
        if self._prof is None:
            logger.info(
                "profiling %d steps after %d steps of this process (files in %s)",
                self.window.steps,
                self._seen,
                self.out_dir,
            )
            self._prof = profile(activities=self._activities)
            self._prof.start()
        else:
            self._prof.toggle_collection_dynamic(True, self._activities)
        if self.cuda:
            self._syncs = self._syncs or SyncCounter()
            self._syncs.start()
        self._collecting = True
        self._begin_step()

    def _begin_step(self) -> None:
        self._step_range = record_function(STEP_RANGE)
        self._step_range.__enter__()
        self._step_start = time.perf_counter()

    def _pause(self) -> None:
        """Stop collecting between steps (the epoch is over) until :meth:`_open_if_due`."""
        self._step_range.__exit__(None, None, None)
        self._stop_counting()
        self._prof.toggle_collection_dynamic(False, self._activities)
        self._collecting = False

    def _stop_counting(self) -> None:
        """Stop counting syncs (the caught warnings that are no sync are shown), then wait
        for the device's queued work."""
        if self._syncs is not None:
            self._syncs.stop()
            for w in self._syncs.other_warnings:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)
            self._syncs.other_warnings.clear()
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def _write(self) -> None:
        """ops.txt, trace.json and summary.json, and the log line."""
        kept = keep_previous_log(self.out_dir)
        if kept is not None:
            logger.info("a previous profile is kept as %s", kept.name)
        self.out_dir.mkdir(parents=True)
        averages = self._prof.key_averages()
        sort_by = "self_device_time_total" if self.cuda else "self_cpu_time_total"
        table = averages.table(sort_by=sort_by, row_limit=TABLE_ROWS)
        summary = self._summary(averages)
        header = (
            f"{summary['steps']} training steps (iterations {summary['iterations'][0]}.."
            f"{summary['iterations'][1]}) on {self.device}, ops by {sort_by}; "
            f"'{STEP_RANGE}' self time: host time outside ops (Python, data waiting)\n"
        )
        (self.out_dir / "ops.txt").write_text(header + table + "\n", encoding="utf-8")
        self._prof.export_chrome_trace(str(self.out_dir / "trace.json"))
        text = json.dumps(summary, indent=2)
        (self.out_dir / "summary.json").write_text(text + "\n", encoding="utf-8")
        logger.info("%s", summary_line(summary, self.out_dir))

    def _summary(self, averages: Any) -> dict[str, Any]:
        steps = self._steps
        seconds = sum(s.seconds for s in steps)
        images = sum(s.images for s in steps) * self.world_size
        launches = syncs = None
        if self.cuda:
            launches = count_launches(self._prof.events()) / len(steps)
            syncs = (self._syncs.syncs if self._syncs else 0) / len(steps)
        ops = top_ops(averages, self.cuda, len(steps), SUMMARY_OPS)
        summary: dict[str, Any] = {
            "steps": len(steps),
            "requested_steps": self.window.requested_steps,
            "warmup_steps": self.window.warmup,
            "iterations": [steps[0].iteration, steps[-1].iteration],
            "device": str(self.device),
            "wall_ms_per_step": round(1000 * seconds / len(steps), 3),
            "data_wait": round(sum(s.waited for s in steps) / seconds, 4) if seconds else 0.0,
            "img_per_s": round(images / seconds, 2) if seconds else 0.0,
            "kernel_launches_per_step": launches,
            "host_syncs_per_step": syncs,
            "ops_ranked_by": "self CUDA time" if self.cuda else "self CPU time",
            "top_ops": [
                {
                    "name": op.name,
                    "ms_per_step": round(op.ms_per_call, 3),
                    "share": round(op.share, 4),
                }
                for op in ops
            ],
            "files": ["ops.txt", "trace.json", "summary.json"],
        }
        if self.window.shortened or len(steps) < self.window.steps:
            summary["note"] = (
                f"asked for {self.window.requested_steps} steps after "
                f"{self.window.requested_warmup}; the run had room for {len(steps)} steps "
                f"after {self.window.warmup}"
            )
        return summary


def summary_line(summary: dict[str, Any], out_dir: Path) -> str:
    """The one log line of a profile: steps, ms per step, data wait, launches and syncs, top op."""
    first, last = summary["iterations"]
    parts = [
        f"profiled {summary['steps']} steps (iterations {first}..{last}): "
        f"{summary['wall_ms_per_step']:.1f} ms/step, data wait {100 * summary['data_wait']:.0f}%"
    ]
    if summary["kernel_launches_per_step"] is not None:
        parts.append(f"{summary['kernel_launches_per_step']:.0f} kernel launches/step")
        parts.append(f"{summary['host_syncs_per_step']:.1f} host syncs/step")
    if summary["top_ops"]:
        top = summary["top_ops"][0]
        parts.append(f"top op {top['name']} {100 * top['share']:.0f}% ({summary['ops_ranked_by']})")
    return ", ".join(parts) + f"; ops.txt, trace.json, summary.json in {out_dir}"


def start_profiler(
    train: TrainConfig, out_dir: Path, device: torch.device, dist: DistInfo, left: int
) -> StepProfiler | None:
    """The run's profiler (``train.profile_steps > 0``, rank 0 only), or ``None``.

    Args:
        train: the ``train`` section (``profile_steps``, ``profile_warmup``).
        out_dir: ``WORK_DIR/profile``.
        device, dist: the run's device and process group.
        left: steps this process will run (:func:`steps_left`); a run shorter than the
            window profiles its last steps, with a warning.
    """
    if train.profile_steps == 0 or not dist.is_main:
        return None
    window = profile_window(train.profile_steps, train.profile_warmup, left)
    if window.shortened:
        logger.warning(
            "train.profile_steps=%d after train.profile_warmup=%d: the run has %s left, so "
            "the profile covers %s after %d",
            train.profile_steps,
            train.profile_warmup,
            _steps(left),
            _steps(window.steps),
            window.warmup,
        )
    return StepProfiler(out_dir, device, window, dist.world_size)


@contextlib.contextmanager
def profiled_epoch(profiler: StepProfiler | None) -> Iterator[None]:
    """Around one call of ``train_one_epoch``: the profiler collects inside it only."""
    if profiler is None:
        yield
        return
    profiler.epoch_start()
    try:
        yield
    finally:
        profiler.epoch_end()


@contextlib.contextmanager
def profiling(profiler: StepProfiler | None) -> Iterator[None]:
    """Around the epoch loop: the profile is dropped on an error; once the loop has ended,
    :meth:`StepProfiler.finish` writes what the window left unwritten (the trainer calls it
    where every process learns of a failed write)."""
    if profiler is None:
        yield
        return
    try:
        yield
    except BaseException:
        profiler.close()
        raise


def _steps(count: int) -> str:
    """``"1 step"``, ``"3 steps"``."""
    return f"{count} step{'' if count == 1 else 's'}"

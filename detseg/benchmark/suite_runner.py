"""Run the target table (:mod:`detseg.benchmark.suite`) in one process, row after row.

Each row goes through :func:`~detseg.benchmark.model_vs_torchvision.benchmark_model`, the code
path of ``tools/benchmark.py model``. A row that raises (out of memory, an error) becomes a
failed row with its error, and the next row runs. The markdown and JSON reports
(:mod:`detseg.benchmark.suite_report`) are written before the first row (a header without
rows: an output that cannot be written fails before any time is spent) and rewritten after
every row, so an interrupted run keeps what it measured, and names the rows it did not run.
Given the device's whole ``table`` (``suite --only``), the rows of the report written before on
the same device that this run does not rerun are kept, in table order, each with its own date
and commit (see :func:`~detseg.benchmark.suite_report.read_earlier_rows`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from detseg.benchmark.model_vs_torchvision import benchmark_model, outputs_agree
from detseg.benchmark.suite import RowResult, SuiteRow
from detseg.benchmark.suite_environment import describe_environment
from detseg.benchmark.suite_report import read_earlier_rows, write_suite_report


def _describe_error(error: BaseException) -> str:
    """``"<ExceptionType>: <first line of the message>"``."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def run_row(
    row: SuiteRow,
    device: str,
    repeats: int | None = None,
    seed: int = 0,
    compile_backend: str = "inductor",
) -> RowResult:
    """Run one row as ``benchmark.py model`` would; an exception becomes the row's ``error``."""
    where = torch.device(device)
    threads = torch.get_num_threads()
    if row.threads:
        torch.set_num_threads(row.threads)
    if where.type == "cuda":
        torch.cuda.reset_peak_memory_stats(where)
    start = time.perf_counter()
    comparison, error = None, None
    try:
        comparison = benchmark_model(
            row.arch,
            size=row.size,
            batch=row.batch,
            repeats=repeats or row.repeats,
            device=device,
            seed=seed,
            amp=row.amp,
            channels_last=row.channels_last,
            profile=row.profile,
            compile_mode=row.compile_mode,
            compile_backend=compile_backend,
        )
    except Exception as caught:  # out of memory, a bug: reported in the row, the suite goes on
        error = _describe_error(caught)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    peak = None
    gc.collect()
    if where.type == "cuda":
        peak = torch.cuda.max_memory_allocated(where) / 2**30
        torch.cuda.empty_cache()
    return RowResult(row, repeats or row.repeats, seconds, comparison, error, peak)


def check_device(device: str) -> None:
    """Raise ``ValueError`` for a CUDA device on a machine without one."""
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"--device {device}: no CUDA device is available here; use --device cpu "
            "(the CPU table)."
        )


def run_suite(
    rows: Sequence[SuiteRow],
    device: str,
    out: Path,
    repeats: int | None = None,
    seed: int = 0,
    compile_backend: str = "inductor",
    progress: Callable[[str], None] | None = None,
    table: Sequence[SuiteRow] | None = None,
) -> list[RowResult]:
    """Run ``rows`` in turn; write ``out`` (markdown) and ``out`` with ``.json`` after each.

    Args:
        rows: the rows to run (e.g. ``select_rows(suite_rows(device), only)``).
        device: torch device of every row.
        out: the markdown file; the JSON of the raw figures goes to ``out.with_suffix(".json")``.
        repeats: timed calls of every row (``None``: each row's own).
        seed: seed of the weights and inputs of every row.
        compile_backend: ``torch.compile`` backend of rows that compile.
        progress: called with one line before and after each row (and one before the first
            row about the rows kept from ``out``, or why none are).
        table: the device's whole table, when ``rows`` reruns some of its rows: the other
            rows of ``out``'s JSON (measured on the same device) are kept, with their own
            date and commit, and the rows it listed as not run stay listed; the report has
            them in table order. ``None``: the report holds ``rows`` alone.

    Returns:
        One :class:`RowResult` per row, in order.

    Raises:
        ValueError: ``device`` is CUDA and there is none, ``repeats`` is below 1, or ``out`` is
            a folder or no ``.md`` file (a ``.json`` would be overwritten by the JSON, another
            file, such as a config given by mistake, by the report).
        OSError: ``out`` or its JSON cannot be written (a folder, under a file, read-only);
            raised before the first row runs, by writing the report of no rows.
    """
    check_device(device)
    if repeats is not None and repeats < 1:
        raise ValueError(f"--repeats {repeats}: give at least 1 timed call.")
    if out.is_dir():
        raise ValueError(
            f"--out {out} is a folder: give the markdown file to write, e.g. --out "
            f"{out / f'suite_{torch.device(device).type}.md'}"
        )
    if out.suffix.lower() != ".md":  # a .json would lose the markdown, a .yaml be written over
        raise ValueError(f"--out {out}: give the markdown file (.md); the JSON goes next to it.")
    say = progress or (lambda line: None)
    environment = describe_environment(device)
    order = tuple(rows) if table is None else tuple(table)
    kept: list[RowResult] = []
    still_not_run: set[str] = set()
    message = None
    if table is not None:
        earlier = read_earlier_rows(out, environment)
        others = {row.name for row in table} - {row.name for row in rows}
        kept = [result for result in earlier.results if result.row.name in others]
        still_not_run = (set(earlier.not_run) & others) - {r.row.name for r in kept}
        message = earlier.message
        if kept and message is None:
            names = ", ".join(r.row.name for r in _in_order(kept, order))
            message = f"keeping {len(kept)} row(s) of {out.with_suffix('.json')}: {names}"

    def report(done: list[RowResult], pending: Sequence[SuiteRow]) -> None:
        waiting = {row.name for row in pending} | still_not_run
        not_run = [row for row in order if row.name in waiting]
        write_suite_report(out, environment, _in_order([*kept, *done], order), not_run)

    results: list[RowResult] = []
    # an unwritable --out fails before any row; until a row has run, the report names it
    # among the rows not run (what a run cut short by a time limit leaves says so)
    report(results, rows)
    if message is not None:
        say(message)
    for index, row in enumerate(rows, 1):
        say(f"[{index}/{len(rows)}] {row.name}: {row.flags(repeats)} --device {device}")
        result = run_row(row, device, repeats, seed, compile_backend)
        results.append(result)
        say(f"[{index}/{len(rows)}] {row.name}: {summarize(result)}")
        report(results, rows[index:])
    say(f"wrote {out} and {out.with_suffix('.json')}")
    return results


def _in_order(results: Sequence[RowResult], order: Sequence[SuiteRow]) -> list[RowResult]:
    """``results`` in the order of their rows' names in ``order`` (the later result of a
    name that occurs twice)."""
    by_name = {result.row.name: result for result in results}
    return [by_name[row.name] for row in order if row.name in by_name]


def summarize(result: RowResult) -> str:
    """One line: the ratios and whether the targets are met, or the error; the row's time."""
    took = f"({result.seconds:.0f} s)"
    if result.comparison is None:
        return f"failed: {result.error} {took}"
    c = result.comparison
    verdicts = [
        f"{kind} target {'met' if ok else 'not met'}"
        for kind, ok in result.met.items()
        if ok is not None
    ]
    if not outputs_agree(c):
        verdicts.append("outputs differ from torchvision")
    notes = f" ({', '.join(verdicts)})" if verdicts else ""
    return f"train {c.train_ratio:.2f}x, infer {c.infer_ratio:.2f}x{notes} {took}"

"""The target table's report: a markdown table for people, a JSON file of the raw figures.

:func:`write_suite_report` writes both after every row of
:func:`~detseg.benchmark.suite_runner.run_suite`. The markdown starts with where and when it was
measured (date, commit, torch / torchvision versions, device), then one line per row: the
``benchmark.py model`` flags, images/s of torchvision and detseg, their ratio, the target and
whether it is met; then the kernel launches and host-device syncs per call of the profiled row
against their targets. The JSON holds the same run unrounded (images/s, ratios, compile
times, agreement checks, profiles with their top ops, each row's time and peak CUDA memory).

The markdown lines are :mod:`detseg.benchmark.suite_markdown`'s, the head
:mod:`detseg.benchmark.suite_environment`'s; this module writes both files and reads the JSON
back for a ``suite --only`` run (:func:`read_earlier_rows`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from detseg.benchmark.comparison import ModelComparison
from detseg.benchmark.model_vs_torchvision import outputs_agree
from detseg.benchmark.profiling import CallProfile, OpTime
from detseg.benchmark.segmentation_vs_torchvision import SegmentationComparison
from detseg.benchmark.suite import RowResult, SuiteRow
from detseg.benchmark.suite_environment import SuiteEnvironment
from detseg.benchmark.suite_markdown import format_suite_markdown
from detseg.benchmark.suite_profile_checks import profile_checks


def _comparison_json(comparison: ModelComparison) -> dict[str, Any]:
    data = asdict(comparison)
    data.update(train_ratio=comparison.train_ratio, infer_ratio=comparison.infer_ratio)
    data["outputs_agree"] = outputs_agree(comparison)
    return data


def suite_json(
    environment: SuiteEnvironment,
    results: list[RowResult],
    not_run: Sequence[SuiteRow] = (),
) -> dict[str, Any]:
    """The raw figures of the rows run so far, as plain JSON-able data; ``"not_run"``: the
    names of the rows still to run (empty once the suite has finished). Each row has the
    ``"environment"`` it was measured in (the file's own, or an earlier run's for a row kept
    from it)."""
    rows = []
    for result in results:
        c = result.comparison
        entry: dict[str, Any] = {
            "name": result.row.name,
            "row": asdict(result.row),
            "repeats": result.repeats,
            "flags": result.row.flags(result.repeats),
            "environment": asdict(result.environment or environment),
            "status": "failed" if c is None else "ok",
            "error": result.error,
            "seconds": result.seconds,
            "peak_memory_gib": result.peak_memory_gib,
            "met": result.met,
            "result": None if c is None else _comparison_json(c),
        }
        if c is not None and c.profiles is not None:
            entry["profile_checks"] = [asdict(check) for check in profile_checks(c.profiles)]
        rows.append(entry)
    return {
        "environment": asdict(environment),
        "rows": rows,
        "not_run": [row.name for row in not_run],
    }


def write_suite_report(
    out: Path,
    environment: SuiteEnvironment,
    results: list[RowResult],
    not_run: Sequence[SuiteRow] = (),
) -> None:
    """Write ``out`` (markdown) and ``out.with_suffix(".json")``, creating the folder.

    ``not_run``: the rows still to run; both files name them, so that a suite cut short (a
    time limit, Ctrl-C, a killed process) is not taken for a complete table.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    # the JSON first: it is what a later ``--only`` run keeps rows from, so a run stopped
    # between the two files leaves the markdown behind the JSON, never ahead of it
    data = json.dumps(suite_json(environment, results, not_run), indent=2)
    _replace_text(out.with_suffix(".json"), data + "\n")
    _replace_text(out, format_suite_markdown(environment, results, not_run, out))


def _replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it: a run stopped while
    writing (a time limit's signal) leaves the previous report whole, never half a file."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)  # e.g. ``path`` is a folder: no stray file is left
        # the error names the report, not the temporary file (the tools' error line names
        # the output that cannot be written); OSError picks the subclass of the errno
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        partial.unlink(missing_ok=True)  # Ctrl-C or a time limit's SIGINT while writing
        raise


@dataclass
class EarlierRows:
    """What a report written before holds for a ``suite --only`` run of the same device.

    Attributes:
        results: its rows, each with the ``environment`` it was measured in.
        not_run: the names of the rows it lists as not run.
        message: one line saying why nothing is kept (another device, an unreadable file),
            or ``None``.
    """

    results: list[RowResult]
    not_run: list[str]
    message: str | None = None


def read_earlier_rows(out: Path, environment: SuiteEnvironment) -> EarlierRows:
    """The rows of the report ``out`` (its JSON) measured on ``environment``'s device.

    Nothing is kept, with a ``message``, when the JSON is from another device (its ``device``
    or ``device_name`` differ) or cannot be read back; nothing, silently, when neither file
    exists.
    """
    path = out.with_suffix(".json")
    if not path.exists():
        if out.exists():
            return EarlierRows([], [], f"{out} has no {path.name} beside it to keep rows from: "
                               "writing a fresh table")  # fmt: skip
        return EarlierRows([], [])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        earlier = SuiteEnvironment(**data["environment"])
        if (earlier.device, earlier.device_name) != (environment.device, environment.device_name):
            return EarlierRows([], [], (
                f"{path} was measured on {earlier.device_name} ({earlier.device}), not on "
                f"{environment.device_name} ({environment.device}): writing a fresh table "
                "rather than mixing devices"
            ))  # fmt: skip
        results = [_result_from_json(entry, earlier) for entry in data["rows"]]
        not_run = [str(name) for name in data["not_run"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error).strip().splitlines()
        why = f"{type(error).__name__}: {reason[0]}" if reason else type(error).__name__
        return EarlierRows([], [], f"{path} cannot be read back ({why}): writing a fresh table")
    return EarlierRows(results, not_run)


def _result_from_json(entry: dict[str, Any], file_environment: SuiteEnvironment) -> RowResult:
    """A row of :func:`suite_json` back as a :class:`RowResult` (its own ``environment``, or
    the file's for a report written before rows had their own)."""
    row = SuiteRow(**entry["row"])
    if entry["name"] != row.name:
        raise ValueError(f"row {entry['name']!r} holds the settings of {row.name!r}")
    environment = file_environment
    if entry.get("environment") is not None:
        environment = SuiteEnvironment(**entry["environment"])
    repeats = entry.get("repeats")
    if repeats is None:  # a report written before rows stored their repeats
        found = re.search(r"--repeats (\d+)", entry["flags"])
        repeats = int(found.group(1)) if found else row.repeats
    comparison = None if entry["result"] is None else _comparison_from_json(entry["result"])
    if comparison is None and entry["error"] is None:
        raise ValueError(f"row {row.name!r} has neither a result nor an error")
    return RowResult(
        row,
        int(repeats),
        float(entry["seconds"]),
        comparison,
        entry["error"],
        entry["peak_memory_gib"],
        environment,
    )


def _comparison_from_json(data: dict[str, Any]) -> ModelComparison:
    """:func:`_comparison_json` undone: a detector's or a segmenter's comparison."""
    fields = {k: v for k, v in data.items() if k not in ("train_ratio", "infer_ratio")}
    fields.pop("outputs_agree", None)
    if fields.get("profiles") is not None:
        fields["profiles"] = {
            name: {
                kind: CallProfile(**{**p, "top_ops": [OpTime(**op) for op in p["top_ops"]]})
                for kind, p in calls.items()
            }
            for name, calls in fields["profiles"].items()
        }
    if "logits_agree" in fields:
        return SegmentationComparison(**fields)
    return ModelComparison(**fields)

"""The target table's report: a markdown table for people, a JSON file of the raw figures.

:func:`write_suite_report` writes both after every row of
:func:`~detseg.benchmark.suite.run_suite`. The markdown starts with where and when it was
measured (date, commit, torch / torchvision versions, device), then one line per row: the
``benchmark.py model`` flags, images/s of torchvision and detseg, their ratio, the target and
whether it is met; then the kernel launches and host-device syncs per call of the profiled row
against their targets. The JSON holds the same run unrounded (images/s, ratios, compile
times, agreement checks, profiles with their top ops, each row's time and peak CUDA memory).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
import torchvision

from detseg.benchmark.comparison import ModelComparison
from detseg.benchmark.model_vs_torchvision import outputs_agree
from detseg.benchmark.profiling import CallProfile, OpTime
from detseg.benchmark.segmentation_vs_torchvision import SegmentationComparison
from detseg.benchmark.suite import LAUNCH_FACTOR, SYNC_TARGET, RowResult, SuiteRow

_REPO = Path(__file__).resolve().parents[2]  # the checkout detseg runs from, if it is one
CALLS = {"train": "training step", "infer": "inference"}


@dataclass
class SuiteEnvironment:
    """Where and when the suite ran (the head of the report)."""

    date: str
    commit: str
    torch: str
    torchvision: str
    device: str
    device_name: str
    threads: int
    python: str


def git_commit(directory: Path = _REPO) -> str:
    """``git rev-parse --short HEAD`` of ``directory`` (``"+ uncommitted changes"`` when tracked
    files differ from it), or ``"unknown (not a git checkout)"``."""
    try:
        commit = _git(directory, "rev-parse", "--short", "HEAD")
        changes = _git(directory, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} + uncommitted changes" if changes else commit


def _git(directory: Path, *args: str) -> str:
    """The stripped output of ``git ARGS`` run in ``directory`` (raises when git fails)."""
    command = ["git", *args]
    result = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout.strip()


def _cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} CPU"


def describe_environment(device: str) -> SuiteEnvironment:
    """The date (UTC), commit, versions and device of a suite run on ``device``."""
    where = torch.device(device)
    if where.type == "cuda":
        name = torch.cuda.get_device_name(where)
    else:
        name = f"{_cpu_model()}, {os.cpu_count()} cores"
    return SuiteEnvironment(
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        commit=git_commit(),
        torch=torch.__version__,
        torchvision=torchvision.__version__,
        device=str(where),
        device_name=name,
        threads=torch.get_num_threads(),
        python=platform.python_version(),
    )


@dataclass
class CountCheck:
    """One count of the profiled row against its target.

    Attributes:
        count: ``"kernel launches"`` or ``"host syncs"``.
        kind: ``"train"`` or ``"infer"``.
        torchvision, detseg: the count per call (``None`` off CUDA).
        target: what detseg's count should be, in words.
        met: whether it is; ``None`` without a target or without counts.
    """

    count: str
    kind: str
    torchvision: float | None
    detseg: float | None
    target: str
    met: bool | None


def profile_checks(profiles: dict[str, dict[str, CallProfile]]) -> list[CountCheck]:
    """Launches (both call kinds) and syncs (training step: at most ``SYNC_TARGET``) per call.

    Args:
        profiles: ``{"torchvision" | "detseg": {"train" | "infer": CallProfile}}``.
    """
    checks = []
    for kind in CALLS:
        tv, ours = profiles["torchvision"][kind], profiles["detseg"][kind]
        met = None
        if tv.launches_per_call is not None and ours.launches_per_call is not None:
            met = ours.launches_per_call * LAUNCH_FACTOR <= tv.launches_per_call
        checks.append(
            CountCheck(
                "kernel launches",
                kind,
                tv.launches_per_call,
                ours.launches_per_call,
                f"{LAUNCH_FACTOR:g}x fewer than torchvision",
                met,
            )
        )
    for kind in CALLS:
        tv, ours = profiles["torchvision"][kind], profiles["detseg"][kind]
        target, met = "-", None
        if kind == "train":
            target = f"<= {SYNC_TARGET}"
            met = None if ours.syncs_per_call is None else ours.syncs_per_call <= SYNC_TARGET
        checks.append(
            CountCheck("host syncs", kind, tv.syncs_per_call, ours.syncs_per_call, target, met)
        )
    return checks


def _yes_no(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "no")


def _count(value: float | None, device: str) -> str:
    if value is None:
        return f"n/a ({torch.device(device).type})"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _target(result: RowResult) -> str:
    train, infer = result.row.train_target, result.row.infer_target
    if train is None and infer is None:
        return "-"
    return " / ".join("-" if t is None else f">= {t:g}x" for t in (train, infer))


def _met(result: RowResult) -> str:
    met = result.met
    if all(ok is None for ok in met.values()):
        return "n/a"
    missed = [kind for kind, ok in met.items() if ok is False]
    return "no (" + ", ".join(missed) + ")" if missed else "yes"


def _notes(comparison: ModelComparison) -> str:
    notes = []
    if isinstance(comparison, SegmentationComparison):
        verdict = "agree" if outputs_agree(comparison) else "DIFFER from torchvision's"
        notes.append(
            f"logits and losses {verdict} (max abs logit diff {comparison.max_abs_diff:.2g})"
        )
    if comparison.compile_seconds is not None:
        seconds = comparison.compile_seconds
        notes.append(
            "compile s (train/infer): "
            + ", ".join(f"{n} {s['train']:.0f}/{s['infer']:.0f}" for n, s in seconds.items())
        )
    return "; ".join(notes)


def _measured_before(result: RowResult, environment: SuiteEnvironment) -> str:
    """``"measured <date>, commit <commit>"`` (and its versions where they differ) for a row
    kept from an earlier run; ``""`` for a row of this run."""
    earlier = result.environment
    if earlier is None or _facts(earlier) == _facts(environment):
        return ""
    note = f"measured {earlier.date}, commit {earlier.commit}"
    if (earlier.torch, earlier.torchvision) != (environment.torch, environment.torchvision):
        note += f", torch {earlier.torch}, torchvision {earlier.torchvision}"
    return note


def _facts(environment: SuiteEnvironment) -> tuple[str, ...]:
    """What a row's note states when it differs from the header's."""
    env = environment
    return env.date, env.commit, env.torch, env.torchvision


def _row_line(result: RowResult, environment: SuiteEnvironment) -> str:
    row = result.row
    cells = [f"{row.title} (`{row.name}`)", f"`{row.flags(result.repeats)}`"]
    c = result.comparison
    earlier = _measured_before(result, environment)
    if c is None:
        cells += ["-", "-", "-", "-", _target(result), _met(result)]
        cells.append(_cell("; ".join(filter(None, [f"failed: {result.error}", earlier]))))
    else:
        for numbers, ratio in (
            (c.train_images_per_s, c.train_ratio),
            (c.infer_images_per_s, c.infer_ratio),
        ):
            cells += [
                f"{numbers['torchvision']:.1f} → {numbers['detseg']:.1f}",
                f"**{ratio:.2f}x**",
            ]
        cells += [
            _target(result),
            _met(result),
            _cell("; ".join(filter(None, [_notes(c), earlier]))),
        ]
    return "| " + " | ".join(cells) + " |"


def _profile_section(results: list[RowResult], environment: SuiteEnvironment) -> list[str]:
    device = environment.device
    lines = []
    for result in results:
        if not result.row.profile:
            continue
        row = result.row
        earlier = _measured_before(result, environment)
        lines += [
            "",
            f"## Kernel launches and host syncs per call: {row.title}, {row.size} px, "
            f"batch {row.batch}, amp {row.amp} (`{row.name}`)",
            "",
        ]
        if earlier:
            lines += [f"Kept from an earlier run: {earlier}.", ""]
        c = result.comparison
        if c is None or c.profiles is None:
            lines.append(f"Not measured: the row failed ({_cell(str(result.error))}).")
            continue
        lines += [
            "Mean of 3 calls after a warm-up call; syncs counted with "
            '`torch.cuda.set_sync_debug_mode("warn")`, launches are the profiler\'s '
            "`*LaunchKernel*` events.",
            "",
            "| count | call | torchvision | detseg | target (detseg) | met |",
            "|---|---|---|---|---|---|",
        ]
        for check in profile_checks(c.profiles):
            lines.append(
                f"| {check.count} | {CALLS[check.kind]} | {_count(check.torchvision, device)} | "
                f"**{_count(check.detseg, device)}** | {check.target} | {_yes_no(check.met)} |"
            )
    return lines


def _not_run_lines(not_run: Sequence[SuiteRow], device: str, out: Path | None = None) -> list[str]:
    """The rows not measured yet, and the command that runs them into this report (``out``;
    ``None``: the command names no ``--out``) (none: no line)."""
    if not not_run:
        return []
    names = " ".join(row.name for row in not_run)
    where = "" if out is None else f" --out {shlex.quote(str(out))}"
    return [
        "",
        f"**Not run: {len(not_run)} row(s)** ({', '.join(f'`{row.name}`' for row in not_run)}): "
        "the suite is still running, or it was cut short during the first of them. Run them "
        f"with `python tools/benchmark.py suite --device {device}{where} --only {names}`.",
    ]


def format_suite_markdown(
    environment: SuiteEnvironment,
    results: list[RowResult],
    not_run: Sequence[SuiteRow] = (),
    out: Path | None = None,
) -> str:
    """The markdown report of the rows run so far; ``not_run``: the rows still to run, named
    under the table (a suite cut short says which rows it lacks) with the command that runs
    them into ``out``. A row kept from an earlier run (its own ``environment``) says in its
    notes when and at which commit it was measured."""
    env = environment
    mixed = []
    if any(_measured_before(result, env) for result in results):
        mixed = [
            "- the date, commit and versions above are this run's; a row kept from an earlier "
            "run (`--only` reran other rows) names its own in its notes"
        ]
    lines = [
        f"# detseg vs torchvision: the target table on {env.device}",
        "",
        f"- date: {env.date}",
        f"- commit: {env.commit}",
        f"- torch {env.torch}, torchvision {env.torchvision}, Python {env.python}",
        f"- device: {env.device_name} ({env.device}), {env.threads} torch CPU threads",
        *mixed,
        f"- each row: `python tools/benchmark.py model --device {env.device}` plus its flags; "
        "ratios are detseg / torchvision images/s (median of the timed calls); a target is met "
        "when the ratio reaches it",
        "",
        "| model | flags | train img/s (tv → detseg) | train ratio | infer img/s (tv → detseg) "
        "| infer ratio | target (train / infer) | met | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [_row_line(result, env) for result in results]
    lines += _not_run_lines(not_run, env.device, out)
    lines += _profile_section(results, env)
    return "\n".join(lines) + "\n"


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

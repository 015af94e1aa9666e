"""The target table as markdown for people: one line per row, then the profiled row's counts.

:func:`format_suite_markdown` starts with where and when the suite was measured, then gives one
line per row (the ``benchmark.py model`` flags, images/s of torchvision and detseg, their ratio,
the target and whether it is met, notes), the rows not run yet with the command that runs them,
and the kernel launches and host syncs per call of the profiled row against their targets.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import torch

from detseg.benchmark.comparison import ModelComparison
from detseg.benchmark.model_vs_torchvision import outputs_agree
from detseg.benchmark.segmentation_vs_torchvision import SegmentationComparison
from detseg.benchmark.suite import RowResult, SuiteRow
from detseg.benchmark.suite_environment import SuiteEnvironment
from detseg.benchmark.suite_profile_checks import CALLS, profile_checks


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
        f"with `detseg-benchmark suite --device {device}{where} --only {names}` "
        "(tools/benchmark.py).",
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
        f"- each row: `detseg-benchmark model --device {env.device}` (tools/benchmark.py) plus "
        "its flags; "
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

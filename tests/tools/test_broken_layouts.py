"""Every tool on every broken dataset layout: one ``<tool>: error:`` line, exit code 2.

The layouts come from ``broken_layouts.py`` (next to this file). Every tool's ``cli()`` runs
on every layout in this process (``test_every_tool_on_every_layout``). Each tool also runs as
a user runs it, in a process of its own (``run_tool`` of tests/conftest.py), on a few
layouts: train.py on one of each format and a missing root, eval.py (a checkpoint with
``--set`` of the layout), anchors.py (a config file naming the layout), check_data.py (the demo
config with the layout's ``--set``) and convert_dataset.py (the layout's root in its format) on
one each. To add a tool, add a row to ``TOOLS`` and ``ARGV``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from broken_layouts import (  # noqa: E402
    CASE_IDS,
    BrokenLayout,
    data_section,
    write_broken_layouts,
    write_data_config,
)

from detseg.config import load_config  # noqa: E402
from detseg.engine.checkpointing import save_checkpoint  # noqa: E402
from detseg.models import build_model  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

#: ``argv(case, folder, checkpoint)``: the tool's arguments for one broken layout.
Argv = Callable[[BrokenLayout, Path, Path], list[str]]


def _train(case: BrokenLayout, folder: Path, checkpoint: Path) -> list[str]:
    sets = [*case.overrides, "train.max_iters=1", "train.num_workers=0", "device=cpu"]
    work_dir = folder / "runs" / case.case_id
    return ["train.py", "configs/demo.yaml", "--work-dir", str(work_dir), "--set", *sets]


def _eval(case: BrokenLayout, folder: Path, checkpoint: Path) -> list[str]:
    out = folder / "eval" / case.case_id
    return ["eval.py", str(checkpoint), "--out", str(out), "--set", *case.overrides]


def _anchors(case: BrokenLayout, folder: Path, checkpoint: Path) -> list[str]:
    config = write_data_config(folder / f"{case.case_id}.yaml", case.overrides)
    return ["anchors.py", str(config), "--k", "2", "--per-level", "2"]


def _check_data(case: BrokenLayout, folder: Path, checkpoint: Path) -> list[str]:
    out = folder / "check" / case.case_id
    return ["check_data.py", "configs/demo.yaml", "--out", str(out), "--set", *case.overrides]


def _convert_dataset(case: BrokenLayout, folder: Path, checkpoint: Path) -> list[str]:
    section = data_section(case.overrides)
    target = "coco" if section["format"] != "coco" else "yolo"
    out = folder / "converted" / case.case_id
    return ["convert_dataset.py", "--from", section["format"], "--to", target] + [
        str(section["root"]),
        str(out),
    ]


#: Tool name (the prefix of its error line) -> (its arguments, the layouts it is run on in a
#: subprocess).
TOOLS: dict[str, tuple[Argv, tuple[str, ...]]] = {
    "train": (
        _train,
        ("root_missing", "coco_json_corrupt", "voc_unknown_classes", "yolo_class_ids_out_of_range"),
    ),
    "eval": (_eval, ("coco_json_corrupt",)),
    "anchors": (_anchors, ("voc_classes_missing",)),
    "check_data": (_check_data, ("yolo_classes_empty",)),
    "convert_dataset": (_convert_dataset, ("voc_annotations_missing",)),
}
RUNS = [(tool, case_id) for tool, (_, case_ids) in TOOLS.items() for case_id in case_ids]


def _write_checkpoint(path: Path) -> Path:
    """A detector checkpoint of configs/demo.yaml with random weights (no training step)."""
    cfg = load_config(REPO / "configs" / "demo.yaml", ["device=cpu", "train.num_workers=0"])
    model = build_model(cfg.model.to_dict(), num_classes=2)
    state = {"config": cfg.to_dict(), "classes": ["cat", "dog"], "model": model.state_dict()}
    save_checkpoint(path, {**state, "meta": {"cat_ids": None}})
    return path


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory, run_tool) -> dict[tuple[str, str], tuple[BrokenLayout, Any]]:
    """``(tool, case_id) -> (case, finished process)`` for every entry of ``RUNS``."""
    folder = tmp_path_factory.mktemp("broken")
    cases = {case.case_id: case for case in write_broken_layouts(folder / "layouts")}
    checkpoint = _write_checkpoint(folder / "best.pt")
    argvs = {(t, c): TOOLS[t][0](cases[c], folder, checkpoint) for t, c in RUNS}
    return {(t, c): (cases[c], run_tool(*argvs[t, c])) for t, c in RUNS}


@pytest.mark.parametrize(("tool", "case_id"), RUNS, ids=[f"{t}-{c}" for t, c in RUNS])
def test_a_broken_layout_is_one_error_line_and_exit_code_2(tool, case_id, broken_runs):
    case, result = broken_runs[tool, case_id]
    report = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, report
    assert "Traceback" not in result.stderr, report
    errors = [line for line in result.stderr.splitlines() if line.startswith(f"{tool}: error:")]
    assert len(errors) == 1, report
    assert case.expected in errors[0], report


def test_every_tool_runs_both_ways_and_the_cases_parse(tmp_path):
    assert set(TOOLS) == set(IN_PROCESS_TOOLS) == set(ARGV)
    assert all(case_id in CASE_IDS for _, case_ids in TOOLS.values() for case_id in case_ids)
    cases = write_broken_layouts(tmp_path)
    for case in cases:
        section = data_section(case.overrides)
        assert section["format"] in ("coco", "voc", "yolo") and "root" in section, case
    voc = data_section(cases[CASE_IDS.index("voc_unknown_classes")].overrides)
    assert voc["classes"] == ["cat", "dog"]


#: Tools whose ``cli()`` runs here, in this process, on every layout (``detseg_tools`` is
#: tools/ as installed by ``pip install -e .``): the same code path as the command, without a
#: torch import per run.
IN_PROCESS_TOOLS = ("train", "eval", "anchors", "check_data", "convert_dataset")
ARGV: dict[str, Argv] = {
    "train": _train,
    "eval": _eval,
    "anchors": _anchors,
    "check_data": _check_data,
    "convert_dataset": _convert_dataset,
}


@pytest.mark.parametrize("tool", IN_PROCESS_TOOLS)
def test_every_tool_on_every_layout(tool, tmp_path, capsys, monkeypatch):
    """Each tool's ``cli()`` on each broken layout: exit code 2 and one error line naming the
    problem (convert_dataset reads a layout's default file names, not the ``data.*`` keys of a
    case, so its line names the case's folder instead)."""
    module = pytest.importorskip(f"detseg_tools.{tool}")
    cases = write_broken_layouts(tmp_path / "layouts")
    checkpoint = _write_checkpoint(tmp_path / "best.pt")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    for case in cases:
        script, *args = ARGV[tool](case, tmp_path, checkpoint)
        monkeypatch.setattr(sys, "argv", [script, *args])
        with pytest.raises(SystemExit) as stopped:
            module.cli()
        err = capsys.readouterr().err
        report = f"{tool} on {case.case_id}: exit {stopped.value.code}\n{err[-3000:]}"
        assert stopped.value.code == 2, report
        errors = [line for line in err.splitlines() if line.startswith(f"{tool}: error:")]
        assert len(errors) == 1, report
        expected = case.case_id if tool == "convert_dataset" else case.expected
        assert expected in errors[0], report

"""``suite --only NAME ...`` replaces those rows in the report written before on the same device
and keeps the others, in table order, each with the date and commit it was measured at; a
report of another device, or one that cannot be read back, gives one line and a fresh table.

The rows are never measured here: ``benchmark_model`` is replaced by a fake whose images/s say
which run measured them, and the run's environment is replaced to tell two runs apart.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

import detseg.benchmark.suite_runner as suite_runner
from detseg.benchmark.comparison import ModelComparison
from detseg.benchmark.profiling import CallProfile, OpTime
from detseg.benchmark.segmentation_vs_torchvision import SegmentationComparison
from detseg.benchmark.suite import CPU_ROWS, GPU_ROWS, RowResult
from detseg.benchmark.suite_environment import SuiteEnvironment
from detseg.benchmark.suite_markdown import format_suite_markdown
from detseg.benchmark.suite_report import read_earlier_rows, write_suite_report
from detseg.benchmark.suite_runner import run_suite

NAMES = [row.name for row in CPU_ROWS]  # lraspp deeplabv3_mbv3 fcn fasterrcnn_mbv3 maskrcnn
FIRST = SuiteEnvironment(
    "2026-01-01 10:00 UTC", "aaa1111", "2.0", "0.1", "cpu", "Test CPU, 4 cores", 4, "3.12"
)
SECOND = replace(FIRST, date="2026-02-02 20:00 UTC", commit="bbb2222")


def _load_benchmark_tool():
    path = Path(__file__).resolve().parents[2] / "tools" / "benchmark.py"
    spec = importlib.util.spec_from_file_location("tool_benchmark_partial_rerun", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _load_benchmark_tool()


def _comparison(arch: str, detseg: float, settings: dict) -> ModelComparison:
    return ModelComparison(
        arch=arch, batch=settings["batch"], size=settings["size"], device="cpu", threads=1,
        repeats=settings["repeats"], amp=settings["amp"], channels_last=False,
        compile_mode="none", compile_backend="inductor", compile_seconds=None,
        train_images_per_s={"torchvision": 10.0, "detseg": detseg},
        infer_images_per_s={"torchvision": 10.0, "detseg": detseg},
        profiles=None,
    )  # fmt: skip


def _suite(monkeypatch, environment: SuiteEnvironment, detseg: float, *argv: str) -> int:
    """``benchmark.py suite ARGV`` in this process: every row gives ``detseg`` images/s
    (torchvision 10), measured in ``environment``; a ``maskrcnn`` row is interrupted when
    ``detseg`` is 0 (a time limit's SIGINT)."""

    def fake(arch, **settings):
        if detseg == 0 and arch == "maskrcnn_resnet50_fpn":
            raise KeyboardInterrupt
        return _comparison(arch, detseg, settings)

    monkeypatch.setattr(suite_runner, "benchmark_model", fake)
    monkeypatch.setattr(suite_runner, "describe_environment", lambda device: environment)
    args = TOOL.build_parser().parse_args(["suite", *argv])
    return args.func(args)


def _rows(out: Path) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(out.with_suffix(".json").read_text())["rows"]}


def _table_lines(out: Path) -> list[str]:
    return [line for line in out.read_text().splitlines() if line.startswith("| ") and "`" in line]


def test_only_replaces_its_rows_and_keeps_the_others_in_table_order(tmp_path, monkeypatch, capsys):
    out = tmp_path / "suite_cpu.md"
    assert _suite(monkeypatch, FIRST, 20.0, "--out", str(out)) == 0
    capsys.readouterr()
    assert _suite(monkeypatch, SECOND, 30.0, "--out", str(out), "--only", "fcn", "lraspp") == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (
        f"keeping 3 row(s) of {out.with_suffix('.json')}: deeplabv3_mbv3, fasterrcnn_mbv3, maskrcnn"
    )

    rows = _rows(out)
    assert list(rows) == NAMES  # every row, in table order
    for name, row in rows.items():
        rerun = name in ("fcn", "lraspp")
        assert row["result"]["train_ratio"] == (3.0 if rerun else 2.0)
        assert row["environment"]["commit"] == ("bbb2222" if rerun else "aaa1111")
        assert row["environment"]["date"] == (SECOND if rerun else FIRST).date
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["environment"]["commit"] == "bbb2222" and data["not_run"] == []

    markdown = out.read_text()
    assert "- commit: bbb2222\n" in markdown
    assert "a row kept from an earlier run (`--only` reran other rows) names its own" in markdown
    lines = _table_lines(out)
    assert [line.split("`")[1] for line in lines] == NAMES
    for name, line in zip(NAMES, lines, strict=True):
        if name in ("fcn", "lraspp"):
            assert "**3.00x**" in line and "measured" not in line
        else:
            assert "**2.00x**" in line
            assert line.endswith("| measured 2026-01-01 10:00 UTC, commit aaa1111 |")


def test_a_rerun_of_every_kept_row_leaves_no_earlier_facts(tmp_path, monkeypatch):
    out = tmp_path / "suite_cpu.md"
    _suite(monkeypatch, FIRST, 20.0, "--out", str(out), "--only", "fcn")
    _suite(monkeypatch, SECOND, 30.0, "--out", str(out), "--only", "fcn", "lraspp")
    assert list(_rows(out)) == ["lraspp", "fcn"]
    assert "measured" not in out.read_text() and "kept from an earlier" not in out.read_text()


def test_a_report_of_another_device_is_replaced_with_one_line(tmp_path, monkeypatch, capsys):
    out = tmp_path / "suite_cpu.md"
    other = replace(FIRST, device_name="Other CPU, 64 cores")
    _suite(monkeypatch, other, 20.0, "--out", str(out))
    capsys.readouterr()
    _suite(monkeypatch, SECOND, 30.0, "--out", str(out), "--only", "fcn")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (
        f"{out.with_suffix('.json')} was measured on Other CPU, 64 cores (cpu), not on Test CPU, "
        "4 cores (cpu): writing a fresh table rather than mixing devices"
    )
    assert list(_rows(out)) == ["fcn"]
    assert "Other CPU" not in out.read_text()


@pytest.mark.parametrize(
    ("json_text", "reason"),
    [
        ("{not json", "JSONDecodeError: "),
        ('{"rows": []}', "KeyError: 'environment'"),
        (None, "has no suite_cpu.json beside it"),
    ],
)
def test_an_unreadable_report_is_replaced_with_one_line(
    tmp_path, monkeypatch, capsys, json_text, reason
):
    out = tmp_path / "suite_cpu.md"
    out.write_text("# an earlier table\n")
    if json_text is not None:
        out.with_suffix(".json").write_text(json_text)
    _suite(monkeypatch, SECOND, 30.0, "--out", str(out), "--only", "fcn")
    first = capsys.readouterr().out.splitlines()[0]
    assert reason in first and first.endswith(": writing a fresh table")
    assert list(_rows(out)) == ["fcn"]


def test_rows_not_run_before_stay_listed_and_the_command_names_the_report(tmp_path, monkeypatch):
    out = tmp_path / "suite_cpu.md"
    with pytest.raises(KeyboardInterrupt):  # cut short during maskrcnn, the last row
        _suite(monkeypatch, FIRST, 0.0, "--out", str(out), "--only", "lraspp", "maskrcnn")
    assert json.loads(out.with_suffix(".json").read_text())["not_run"] == ["maskrcnn"]
    # a rerun of another row keeps lraspp and still lists maskrcnn as not run
    _suite(monkeypatch, SECOND, 30.0, "--out", str(out), "--only", "fcn")
    assert list(_rows(out)) == ["lraspp", "fcn"]
    assert json.loads(out.with_suffix(".json").read_text())["not_run"] == ["maskrcnn"]
    assert (
        f"`detseg-benchmark suite --device cpu --out {out} --only maskrcnn` (tools/benchmark.py)"
        in out.read_text()
    )


def test_an_interrupted_rerun_keeps_the_rows_it_did_not_rerun(tmp_path, monkeypatch):
    out = tmp_path / "suite_cpu.md"
    _suite(monkeypatch, FIRST, 20.0, "--out", str(out))
    with pytest.raises(KeyboardInterrupt):
        _suite(monkeypatch, SECOND, 0.0, "--out", str(out), "--only", "fcn", "maskrcnn")
    rows = _rows(out)
    assert list(rows) == ["lraspp", "deeplabv3_mbv3", "fcn", "fasterrcnn_mbv3"]
    assert rows["fcn"]["environment"]["commit"] == "bbb2222"
    assert rows["lraspp"]["environment"]["commit"] == "aaa1111"
    assert json.loads(out.with_suffix(".json").read_text())["not_run"] == ["maskrcnn"]


def test_without_only_the_table_is_written_afresh(tmp_path, monkeypatch):
    out = tmp_path / "suite_cpu.md"
    _suite(monkeypatch, FIRST, 20.0, "--out", str(out), "--only", "fcn")
    with pytest.raises(KeyboardInterrupt):
        _suite(monkeypatch, SECOND, 0.0, "--out", str(out))
    assert list(_rows(out)) == NAMES[:4]
    assert all(row["environment"]["commit"] == "bbb2222" for row in _rows(out).values())


def _profile(launches: float, ms: float) -> CallProfile:
    return CallProfile(3, "cuda", launches, 4.0, [OpTime("aten::addmm", ms, 0.5)])


def test_kept_rows_read_back_as_they_were_written(tmp_path):
    """A profiled detector, a segmenter and a failed row give the same markdown once read back
    from the JSON (apart from the note naming their earlier run)."""
    profiles = {
        name: {"train": _profile(1000.0, 2.5), "infer": _profile(400.0, 1.5)}
        for name in ("torchvision", "detseg")
    }
    detector = replace(
        _comparison("fasterrcnn_resnet50_fpn", 15.0, {"batch": 8, "size": 800, "repeats": 3,
                                                     "amp": "bf16"}),
        profiles=profiles,
        compile_seconds={"torchvision": {"train": 12.0, "infer": 5.0},
                         "detseg": {"train": 11.0, "infer": 4.0}},
    )  # fmt: skip
    base = _comparison(
        "fcn_resnet50", 12.0, {"batch": 16, "size": 520, "repeats": 5, "amp": "bf16"}
    )
    segmenter = SegmentationComparison(
        **vars(base), aux_loss=False, max_abs_diff=0.5, max_abs_logit=3.0, logits_agree=False,
        loss_diff=0.0, losses_agree=True,
    )  # fmt: skip
    results = [
        RowResult(GPU_ROWS[0], 3, 40.0, detector, None, 7.5),
        RowResult(GPU_ROWS[3], 5, 2.0, None, "OutOfMemoryError: CUDA out of memory", 70.0),
        RowResult(GPU_ROWS[7], 5, 30.0, segmenter, None, 9.0),
    ]
    out = tmp_path / "suite_cuda.md"
    cuda = replace(FIRST, device="cuda", device_name="NVIDIA H100")
    write_suite_report(out, cuda, results, GPU_ROWS[8:])

    earlier = read_earlier_rows(out, cuda)
    assert earlier.message is None and earlier.not_run == ["maskrcnn_bf16"]
    assert [r.environment for r in earlier.results] == [cuda] * 3
    assert [(r.repeats, r.error, r.met) for r in earlier.results] == [
        (r.repeats, r.error, r.met) for r in results
    ]
    assert isinstance(earlier.results[2].comparison, SegmentationComparison)
    assert format_suite_markdown(cuda, earlier.results, GPU_ROWS[8:], out) == out.read_text()
    later = format_suite_markdown(replace(cuda, commit="ccc3333"), earlier.results)
    assert later.count("measured 2026-01-01 10:00 UTC, commit aaa1111") == 4  # 3 rows, profile
    assert "Kept from an earlier run: measured 2026-01-01 10:00 UTC, commit aaa1111." in later


def test_the_not_run_command_reruns_into_the_same_report(tmp_path, monkeypatch):
    """The command under a table cut short names its ``--out`` (quoted for the shell): the
    default report is another file, which the rerun would not complete."""

    def interrupted(arch, **settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(suite_runner, "benchmark_model", interrupted)
    out = tmp_path / "my runs" / "suite.md"
    with pytest.raises(KeyboardInterrupt):
        run_suite(CPU_ROWS[:2], "cpu", out, repeats=1)
    assert (
        f"`detseg-benchmark suite --device cpu --out '{out}' --only lraspp "
        "deeplabv3_mbv3` (tools/benchmark.py)" in out.read_text()
    )


def test_the_help_of_only_says_that_it_replaces_rows_in_the_report(capsys):
    with pytest.raises(SystemExit):
        TOOL.build_parser().parse_args(["suite", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "and replace them in the existing --out report: its other rows stay" in text
    assert "from another device, or one that cannot be read back, is replaced by a fresh" in text

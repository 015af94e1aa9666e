"""Work-dir checks at start-up: an unwritable folder and a full disk are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import WorkDirError, check_work_dir, disk_check

REPO = Path(__file__).resolve().parents[3]


def test_work_dir_problems_are_reported_at_start(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkDirError, match="cannot write to the work dir .*a_file"):
        check_work_dir(blocker / "run", 1000)
    check_work_dir(tmp_path / "ok", 1000)

    class Usage:
        free = 5 * 2**20

    monkeypatch.setattr(disk_check.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(WorkDirError, match="need about 100 MB, 5 MB are free"):
        check_work_dir(tmp_path / "ok", 100 * 2**20)


def test_another_work_dir_is_named_as_the_caller_gives_it(tmp_path, monkeypatch):
    """``work_dir`` of :func:`detseg.engine.train` from Python, ``--work-dir`` from
    ``tools/train.py`` (its ``TRAIN_FLAGS``)."""
    flags = load_tool("train.py").TRAIN_FLAGS
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkDirError) as caught:
        check_work_dir(blocker / "run", 1000)
    assert str(caught.value).endswith("(errno 20); choose a writable folder with work_dir")
    assert caught.value.naming(flags).endswith("; choose a writable folder with --work-dir")

    class Usage:
        free = 5 * 2**20

    monkeypatch.setattr(disk_check.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(WorkDirError) as caught:
        check_work_dir(tmp_path / "ok", 100 * 2**20)
    assert str(caught.value).endswith("or choose another work_dir")
    assert caught.value.naming(flags).endswith("or choose another --work-dir")


def test_a_brace_in_the_folder_name_is_kept(tmp_path):
    blocker = tmp_path / "a{work_dir}file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkDirError) as caught:
        check_work_dir(blocker / "run", 1000)
    assert f"the work dir {blocker / 'run'}: " in str(caught.value)


def test_the_train_tool_names_its_work_dir_flag(tmp_path, run_tool):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    shapes = tmp_path / "shapes"  # a fresh clone has no datasets/shapes
    generate_shapes(shapes, num_train=2, num_val=2, size=64, seed=0)
    sets = ["device=cpu", f"data.root={shapes}"]
    result = run_tool("train.py", REPO / "configs" / "demo.yaml", "--work-dir", blocker / "run",
                      "--set", *sets)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"train: error: cannot write to the work dir {blocker / 'run'}: Not a directory "
        "(errno 20); choose a writable folder with --work-dir"
    )

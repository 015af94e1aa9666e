"""``--resume`` into a folder without a run fails before the run reads data or writes a file.

The check comes first in :func:`detseg.engine.train`: the config's ``data.root`` does not even
exist here, and the work dir gets no ``config.yaml`` (nor is it made).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.engine import train
from detseg.engine.checkpointing import CheckpointError
from detseg.engine.training.run_start import check_resumable

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cfg(tmp_path):
    return load_config(REPO / "configs" / "demo.yaml", [f"data.root={tmp_path / 'no_data'}"])


def test_resume_into_an_empty_folder_writes_nothing(cfg, tmp_path):
    work_dir = tmp_path / "run"
    work_dir.mkdir()
    with pytest.raises(CheckpointError) as caught:
        train(cfg, work_dir, resume=True)
    assert list(work_dir.iterdir()) == []
    # named as the Python call gives them; tools/train.py names its flags (the test below)
    assert str(caught.value).endswith(
        "holds no last.pt (nor an older copy last.<k>.pt); start without resume=True, or point "
        "work_dir at the run's folder"
    )


def test_resume_into_a_new_folder_does_not_make_it(cfg, tmp_path):
    work_dir = tmp_path / "new"
    with pytest.raises(CheckpointError, match=r"the work dir .*new does not exist"):
        train(cfg, work_dir, resume=True)
    assert not work_dir.exists()


def test_a_last_pt_or_an_older_copy_is_a_run_to_resume(tmp_path):
    for name in ("last.pt", "last.2.pt"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_bytes(b"")  # whether it loads is checked later, by resume_run
        check_resumable(folder)
    other = tmp_path / "other"
    other.mkdir()
    for name in ("best.pt", "last.pt.corrupt", "last.x.pt"):
        (other / name).write_bytes(b"")
    with pytest.raises(CheckpointError, match="holds no last.pt"):
        check_resumable(other)


@pytest.mark.parametrize("processes", [[], ["--nproc", "2", "--set", "device=cpu"]])
def test_the_train_tool_says_it_in_one_line(tmp_path, run_tool, processes):
    """One process, or ``--nproc 2``, whose launcher checks the folder before any worker
    starts: both name the tool's flags."""
    work_dir = tmp_path / "empty"
    work_dir.mkdir()
    result = run_tool(
        "train.py", REPO / "configs" / "demo.yaml", "--resume", "--work-dir", work_dir,
        "--set", f"data.root={tmp_path / 'no_data'}", *processes,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"train: error: cannot resume: the work dir {work_dir} holds no last.pt (nor an older "
        "copy last.<k>.pt); start without --resume, or point --work-dir at the run's folder"
    )
    assert "Traceback" not in result.stderr and list(work_dir.iterdir()) == []

"""Work-dir checks at start-up: an unwritable folder and a full disk are reported."""

from __future__ import annotations

import pytest

from detseg.engine.checkpointing import WorkDirError, check_work_dir, disk_check


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

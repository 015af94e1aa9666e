"""A file that may not be written is refused with advice this user can follow: ``chmod u+w``
where he owns it (or is root), another file name where another user owns it, a writable disk on
a read-only file system, and no ``chmod`` where the mode already allows writing (an immutable
file). Where the tool names the file (``predictions.json``, a video's outputs), the advice is
another output folder, not another name.

The tests run as root; what the OS would say for another user, a read-only mount or an immutable
file is made by ``os.access``, ``os.geteuid`` and ``os.statvfs``.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from detseg.visualize import save_rgb
from detseg.visualize.output_files import ANOTHER_OUTPUT_FOLDER, refuse_read_only

GREY = np.full((4, 6, 3), 200, np.uint8)


def _kept_file(folder: Path) -> Path:
    """A root-owned image with mode ``0o644`` (writable by its owner)."""
    path = folder / "kept.png"
    path.write_bytes(b"kept")
    path.chmod(0o644)
    return path


def _may_not_write(monkeypatch, path: Path) -> None:
    """``os.access(path, W_OK)`` is ``False``, as for a file this user may not write."""
    access = os.access

    def refusing(name: object, mode: int, *args: object, **kwargs: object) -> bool:
        if Path(str(name)) == path and mode & os.W_OK:
            return False
        return access(name, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", refusing)


def test_a_file_this_user_may_not_write_is_refused_though_its_mode_allows_it(tmp_path, monkeypatch):
    path = _kept_file(tmp_path)
    _may_not_write(monkeypatch, path)
    with pytest.raises(PermissionError) as caught:
        save_rgb(path, GREY)
    assert str(caught.value) == (
        f"cannot write {path}: the file may not be written although its mode allows it (an "
        f"immutable file: see lsattr {path}); choose another file name"
    )
    assert path.read_bytes() == b"kept"


def test_another_users_file_is_not_told_to_chmod(tmp_path, monkeypatch):
    path = _kept_file(tmp_path)
    _may_not_write(monkeypatch, path)
    monkeypatch.setattr(os, "geteuid", lambda: 65534)
    with pytest.raises(PermissionError) as caught:
        save_rgb(path, GREY)
    assert str(caught.value) == (
        f"cannot write {path}: the file is read-only and belongs to another user (root); "
        "choose another file name"
    )
    assert path.read_bytes() == b"kept"


@pytest.mark.parametrize(
    ("instead", "where"),
    [("choose another file name", "a file"), (ANOTHER_OUTPUT_FOLDER, "an output folder")],
)
def test_a_read_only_file_system_asks_for_a_writable_disk(tmp_path, monkeypatch, instead, where):
    path = _kept_file(tmp_path)
    _may_not_write(monkeypatch, path)
    monkeypatch.setattr(os, "statvfs", lambda name: SimpleNamespace(f_flag=os.ST_RDONLY))
    with pytest.raises(PermissionError) as caught:
        refuse_read_only(path, instead)
    where = f"{where} (--out / out=)" if instead == ANOTHER_OUTPUT_FOLDER else where
    assert str(caught.value) == (
        f"cannot write {path}: it is on a read-only file system; choose {where} on a writable disk"
    )


def test_an_output_named_by_the_tool_offers_another_folder(tmp_path):
    path = tmp_path / "clip.jsonl"
    path.write_text("")
    path.chmod(0o444)
    with pytest.raises(PermissionError) as caught:
        refuse_read_only(path, ANOTHER_OUTPUT_FOLDER)
    assert str(caught.value) == (
        f"cannot write {path}: the file is read-only; make it writable (chmod u+w {path}) or "
        "choose another output folder (--out / out=)"
    )

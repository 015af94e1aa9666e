"""An existing image whose folder this user may not write, but which he may write (reached
through a link in a folder he may write, or named directly), is written in place, as ``cp``
writes it: the temporary file of an atomic replace cannot be made in that folder. A new file in
such a folder through a link fails naming the target's folder, not the link's.

Root writes in any folder: two tests make ``os.access`` say the folder is not writable (and
``open`` fail in it), the others run a writer as the unprivileged user 65534 (``setpriv``),
where this machine has it and that user may run this Python (a virtual environment in a
``mktemp -d`` folder is root's alone).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.visualize import save_rgb, whole_files

GREY = np.full((4, 6, 3), 200, np.uint8)

#: This Python run as the unprivileged user 65534.
_AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]

#: A writer run as another user: ``save_rgb(argv[1], grey)``, its error's message on stdout.
_WRITE = """
import sys
import numpy as np
from detseg.visualize import save_rgb
try:
    save_rgb(sys.argv[1], np.full((4, 6, 3), 200, np.uint8))
    print("written")
except OSError as exc:
    print(exc)
"""


def test_a_writable_file_in_a_folder_that_is_not_is_written_in_place(tmp_path, monkeypatch):
    path = tmp_path / "drawn.png"
    save_rgb(path, np.zeros((4, 6, 3), np.uint8))
    inode = path.stat().st_ino
    access = os.access

    def folder_locked(name: object, mode: int, *args: object, **kwargs: object) -> bool:
        return Path(str(name)) != tmp_path and access(name, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", folder_locked)
    save_rgb(path, GREY)
    assert path.stat().st_ino == inode  # the same file, not a renamed one
    assert cv2.imread(str(path))[0, 0].tolist() == [200, 200, 200]
    assert [p.name for p in tmp_path.iterdir()] == ["drawn.png"]


def test_a_new_file_through_a_link_names_the_targets_folder_in_process(tmp_path, monkeypatch):
    locked, open_ = tmp_path / "locked", tmp_path / "open"
    locked.mkdir()
    open_.mkdir()
    (open_ / "link.png").symlink_to(locked / "new.png")
    real_open = open

    def refused_in_locked(file: object, *args: object, **kwargs: object) -> object:
        if Path(str(file)).parent == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(whole_files, "open", refused_in_locked, raising=False)
    with pytest.raises(PermissionError) as caught:
        save_rgb(open_ / "link.png", GREY)
    assert str(caught.value) == (
        f"[Errno 13] Permission denied in {locked} (the folder of the link's target): "
        f"'{open_ / 'link.png'}'"
    )
    assert not list(locked.iterdir()) and (open_ / "link.png").is_symlink()


@pytest.fixture
def shared_folders() -> Iterator[tuple[Path, Path]]:
    """``(locked, open)``: root's folders, ``locked`` readable by all, ``open`` writable by
    all, in a folder user 65534 may reach (pytest's ``tmp_path`` is root's alone)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a writer as another user")
    probe = subprocess.run(
        [*_AS_NOBODY, "-c", "import numpy, detseg"], capture_output=True, timeout=120
    )
    if probe.returncode != 0:
        pytest.skip(f"user 65534 cannot run {sys.executable} (its folders are root's alone)")
    top = Path(tempfile.mkdtemp())
    top.chmod(0o755)
    locked, open_ = top / "locked", top / "open"
    locked.mkdir(mode=0o755)
    open_.mkdir()
    open_.chmod(0o777)
    try:
        yield locked, open_
    finally:
        shutil.rmtree(top)


def _write_as_nobody(path: Path) -> str:
    """What :data:`_WRITE` prints for ``path``, run as user 65534."""
    run = subprocess.run(
        [*_AS_NOBODY, "-c", _WRITE, str(path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_a_link_to_a_writable_file_in_a_locked_folder_is_written(shared_folders):
    locked, open_ = shared_folders
    target = locked / "shared.png"
    target.write_bytes(b"old")
    target.chmod(0o666)
    (open_ / "link.png").symlink_to(target)
    assert _write_as_nobody(open_ / "link.png") == "written"
    assert cv2.imread(str(target))[0, 0].tolist() == [200, 200, 200]
    assert (open_ / "link.png").is_symlink() and os.listdir(locked) == ["shared.png"]


def test_a_new_file_through_a_link_names_the_targets_folder(shared_folders):
    locked, open_ = shared_folders
    (open_ / "link.png").symlink_to(locked / "new.png")
    assert _write_as_nobody(open_ / "link.png") == (
        f"[Errno 13] Permission denied in {locked} (the folder of the link's target): "
        f"'{open_ / 'link.png'}'"
    )


def test_another_users_read_only_file_is_not_told_to_chmod(shared_folders):
    locked, open_ = shared_folders
    target = open_ / "roots.png"
    target.write_bytes(b"old")
    target.chmod(0o644)
    assert _write_as_nobody(target) == (
        f"cannot write {target}: the file is read-only and belongs to another user (root); "
        "choose another file name"
    )
    assert target.read_bytes() == b"old"

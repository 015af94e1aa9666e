"""In a sticky, world-writable folder (``/tmp``) only a file's owner may replace it: the rename
of the temporary file over another user's image fails with ``EPERM`` although that user may
write the file. The image is then written in place, as ``cp`` writes it. Any failure names the
image, never the temporary file.

The tests run as root, who may replace any file: ``os.replace`` is made to refuse.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.visualize import save_label_map, save_rgb

GREY = np.full((4, 6, 3), 200, np.uint8)


@pytest.fixture
def replace_refused(monkeypatch) -> list[tuple[str, str]]:
    """``os.replace`` failing with ``EPERM``, as over another user's file in a sticky folder;
    the renames tried."""
    tried: list[tuple[str, str]] = []

    def refuse(source: object, target: object, *args: object, **kwargs: object) -> None:
        tried.append((str(source), str(target)))
        raise PermissionError(errno.EPERM, "Operation not permitted", str(source), str(target))

    monkeypatch.setattr(os, "replace", refuse)
    return tried


def test_a_writable_file_the_rename_may_not_replace_is_written_in_place(tmp_path, replace_refused):
    path = tmp_path / "drawn.png"
    cv2.imwrite(str(path), np.zeros((4, 6, 3), np.uint8))
    inode = path.stat().st_ino
    save_rgb(path, GREY)
    assert len(replace_refused) == 1 and replace_refused[0][1] == str(path)
    assert path.stat().st_ino == inode  # the same file, written into
    assert cv2.imread(str(path))[0, 0].tolist() == [200, 200, 200]
    assert [p.name for p in tmp_path.iterdir()] == ["drawn.png"]  # no temporary file left


def test_a_label_map_is_written_in_place_as_well(tmp_path, replace_refused):
    path = tmp_path / "mask.png"
    path.write_bytes(b"earlier")
    save_label_map(path, np.ones((4, 6), np.uint8))
    assert np.array(Image.open(path)).tolist() == [[1] * 6] * 4
    assert [p.name for p in tmp_path.iterdir()] == ["mask.png"]


def test_a_refused_rename_of_a_new_file_names_the_image(tmp_path, replace_refused):
    path = tmp_path / "new.png"
    with pytest.raises(PermissionError) as caught:
        save_rgb(path, GREY)
    assert (caught.value.errno, caught.value.filename) == (errno.EPERM, str(path))
    assert caught.value.filename2 is None
    assert str(caught.value) == f"[Errno 1] Operation not permitted: '{path}'"
    assert list(tmp_path.iterdir()) == []


def test_a_file_this_user_may_not_write_is_not_written_in_place(
    tmp_path, replace_refused, monkeypatch
):
    path = tmp_path / "theirs.png"
    path.write_bytes(b"theirs")
    access = os.access

    def file_locked(name: object, mode: int, *args: object, **kwargs: object) -> bool:
        """Not writable once the rename was refused (``refuse_read_only`` asks before: it
        passes, as for a file whose mode allows writing)."""
        locked = bool(replace_refused) and Path(str(name)) == path
        return not locked and access(name, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", file_locked)
    with pytest.raises(PermissionError) as caught:
        save_rgb(path, GREY)
    assert (caught.value.errno, caught.value.filename) == (errno.EPERM, str(path))
    assert path.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["theirs.png"]

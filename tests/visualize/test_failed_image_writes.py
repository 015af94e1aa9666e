"""A drawing or label map whose write fails part way (a full disk) leaves no partial file, and
an image that had the name before keeps its bytes: the writers write a temporary file beside it
and rename it once it is whole. A full disk is ``ENOSPC`` (``No space left on device``), not
the writer's ``EIO``.

OpenCV and Pillow encode in memory and the bytes are written with ``open``, so no codec writes
the file (libpng would print ``libpng error: Write Error`` on stderr when it fails). The file
``open`` gives is made to write a few bytes and fail, as a write on a disk that fills does. (A
real full disk, a 64 kB ``tmpfs``, gives the same errors and nothing on stderr; mounting one
needs privileges a test run may lack.)
"""

from __future__ import annotations

import builtins
import errno
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.visualize import save_label_map, save_rgb, whole_files

PIXELS = np.zeros((4, 4, 3), np.uint8)


class _FillingFile:
    """A file opened for writing on a disk that fills after a few bytes: ``write`` writes 8
    bytes of what it is given, then raises ``ENOSPC``."""

    def __init__(self, path: object) -> None:
        self._file = builtins.open(str(path), "wb")

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write(self, data: bytes) -> int:
        self._file.write(bytes(data[:8]))
        self._file.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fail_part_way(monkeypatch) -> list[str]:
    """Files opened for writing fill the disk part way (:class:`_FillingFile`); returns the
    paths opened."""
    paths: list[str] = []

    def filling_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        paths.append(str(path))
        return _FillingFile(path)

    monkeypatch.setattr(whole_files, "open", filling_open, raising=False)
    return paths


def test_a_partial_file_of_a_new_image_is_removed(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    fail_part_way(monkeypatch)
    with pytest.raises(OSError) as caught:
        save_rgb(target, PIXELS)
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(target))
    assert list(tmp_path.iterdir()) == []


def test_an_image_that_was_there_keeps_its_bytes(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    save_rgb(target, np.full((4, 4, 3), 200, np.uint8))
    before = target.read_bytes()
    fail_part_way(monkeypatch)
    with pytest.raises(OSError):
        save_rgb(target, PIXELS)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["drawn.png"]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".pgm", ".tif"])
def test_a_full_disk_is_enospc_in_the_os_words(tmp_path, monkeypatch, suffix):
    target = tmp_path / f"drawn{suffix}"
    fail_part_way(monkeypatch)
    with pytest.raises(OSError) as caught:
        if suffix in (".pgm", ".tif"):  # a grey label map by OpenCV, a palette one by Pillow
            save_label_map(target, np.zeros((4, 4), np.uint8))
        else:
            save_rgb(target, PIXELS)
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value) == f"[Errno {errno.ENOSPC}] No space left on device: '{target}'"
    assert list(tmp_path.iterdir()) == []


def test_no_codec_writes_the_file(tmp_path, monkeypatch, capfd):
    """``cv2.imwrite`` is not used: libpng, which it would write PNGs with, prints ``libpng
    error: Write Error`` on stderr where the write fails, past OpenCV's log level."""

    def imwrite(path: str, pixels: np.ndarray) -> bool:
        raise AssertionError(f"cv2.imwrite wrote {path}")

    monkeypatch.setattr(cv2, "imwrite", imwrite)
    save_rgb(tmp_path / "drawn.png", PIXELS)
    save_label_map(tmp_path / "labels.pgm", np.zeros((4, 4), np.uint8))
    fail_part_way(monkeypatch)
    with pytest.raises(OSError):
        save_rgb(tmp_path / "full.png", PIXELS)
    assert capfd.readouterr().err == ""
    assert cv2.imread(str(tmp_path / "drawn.png")).shape == (4, 4, 3)


def test_a_write_goes_through_a_temporary_file_of_the_same_format(tmp_path, monkeypatch):
    """The temporary file beside the image keeps its extension (Pillow reads the format from
    it) and is renamed to the image."""
    written: list[str] = []

    def recording(path: object, *args: Any, **kwargs: Any) -> Any:
        written.append(str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(whole_files, "open", recording, raising=False)
    save_rgb(tmp_path / "drawn.jpg", PIXELS)
    [temporary] = written
    assert Path(temporary).parent == tmp_path and Path(temporary).suffix == ".jpg"
    assert [p.name for p in tmp_path.iterdir()] == ["drawn.jpg"]
    assert cv2.imread(str(tmp_path / "drawn.jpg")).shape == (4, 4, 3)


def test_an_image_written_over_another_keeps_its_permissions(tmp_path):
    target = tmp_path / "drawn.png"
    save_rgb(target, PIXELS)
    target.chmod(0o640)
    save_rgb(target, np.full((4, 4, 3), 9, np.uint8))
    assert target.stat().st_mode & 0o777 == 0o640
    assert cv2.imread(str(target))[0, 0, 0] == 9


def test_a_label_map_that_pillow_fails_to_encode_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "labels.png"
    save_label_map(target, np.ones((3, 3), np.uint8))
    before = target.read_bytes()

    def save(self: Image.Image, file: object, *args: object, **kwargs: object) -> None:
        file.write(b"\x89PNG partial")  # type: ignore[attr-defined]
        raise OSError("image file is truncated")

    monkeypatch.setattr(Image.Image, "save", save)
    with pytest.raises(OSError) as caught:
        save_label_map(target, np.zeros((3, 3), np.uint8))
    assert (caught.value.errno, caught.value.filename) == (errno.EIO, str(target))
    assert caught.value.strerror == "Pillow could not encode it (image file is truncated)"
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["labels.png"]

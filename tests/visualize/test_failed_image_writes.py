"""A drawing or label map whose write fails part way (a full disk) leaves no partial file, and
an image that had the name before keeps its bytes: the writers write a temporary file beside it
and rename it once it is whole. A full disk is ``ENOSPC`` (``No space left on device``), not
the writer's ``EIO``.

``cv2.imwrite`` and ``Image.save`` are made to write a few bytes and fail, as a writer on a
disk that fills does; the disk's free space is made 0 where the test needs a full disk.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.visualize import save_label_map, save_rgb
from detseg.visualize import saving as saving_module

PIXELS = np.zeros((4, 4, 3), np.uint8)


def fail_part_way(monkeypatch) -> list[str]:
    """``cv2.imwrite`` writes a partial file and returns ``False``; returns the paths it got."""
    paths: list[str] = []

    def imwrite(path: str, pixels: np.ndarray) -> bool:
        paths.append(path)
        Path(path).write_bytes(b"\x89PNG partial")
        return False

    monkeypatch.setattr(cv2, "imwrite", imwrite)
    return paths


def fill_the_disk(monkeypatch, free: int = 0) -> None:
    """The disk of every folder has ``free`` bytes of free space left."""
    usage = shutil.disk_usage("/")
    full = type(usage)(usage.total, usage.total - free, free)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)


def test_a_partial_file_of_a_new_image_is_removed(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    fail_part_way(monkeypatch)
    with pytest.raises(OSError) as caught:
        save_rgb(target, PIXELS)
    assert (caught.value.errno, caught.value.filename) == (errno.EIO, str(target))
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


def test_a_full_disk_is_enospc(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    fail_part_way(monkeypatch)
    fill_the_disk(monkeypatch)
    with pytest.raises(OSError) as caught:
        save_rgb(target, PIXELS)
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value) == f"[Errno {errno.ENOSPC}] No space left on device: '{target}'"
    assert list(tmp_path.iterdir()) == []


def test_a_disk_with_less_room_than_the_image_is_enospc(tmp_path, monkeypatch):
    """OpenCV removes the partial file of a write that filled the disk, which frees the space
    again: a disk with fewer free bytes than the encoded image is still the cause."""
    target = tmp_path / "drawn.png"
    monkeypatch.setattr(cv2, "imwrite", lambda path, pixels: False)
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    fill_the_disk(monkeypatch, free=1000)  # the PNG of the noise is about 12 kB
    with pytest.raises(OSError) as caught:
        save_rgb(target, noise)
    assert caught.value.errno == errno.ENOSPC
    fill_the_disk(monkeypatch, free=10**9)
    with pytest.raises(OSError) as caught:
        save_rgb(target, noise)
    assert caught.value.errno == errno.EIO


def test_the_probes_own_enospc_is_kept(tmp_path, monkeypatch):
    """The byte written to learn why OpenCV failed finds the disk full itself."""
    target = tmp_path / "drawn.png"
    fail_part_way(monkeypatch)

    def full_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(saving_module, "open", full_open, raising=False)
    with pytest.raises(OSError) as caught:
        save_rgb(target, PIXELS)
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(target))
    assert list(tmp_path.iterdir()) == []


def test_a_write_goes_through_a_temporary_file_of_the_same_format(tmp_path, monkeypatch):
    """OpenCV reads the format from the extension, which the temporary file keeps."""
    written: list[str] = []
    imwrite = cv2.imwrite

    def recording(path: str, pixels: np.ndarray) -> bool:
        written.append(path)
        return imwrite(path, pixels)

    monkeypatch.setattr(cv2, "imwrite", recording)
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


def test_a_label_map_that_pillow_fails_to_write_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "labels.png"
    save_label_map(target, np.ones((3, 3), np.uint8))
    before = target.read_bytes()

    def save(self: Image.Image, path: object, *args: object, **kwargs: object) -> None:
        Path(str(path)).write_bytes(b"\x89PNG partial")
        raise OSError("image file is truncated")

    monkeypatch.setattr(Image.Image, "save", save)
    fill_the_disk(monkeypatch)
    with pytest.raises(OSError) as caught:
        save_label_map(target, np.zeros((3, 3), np.uint8))
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(target))
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["labels.png"]

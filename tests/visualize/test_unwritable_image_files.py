"""A drawing or label map that OpenCV cannot write is an ``OSError`` with the OS's ``errno`` and
the file as its ``filename``, so that the command-line tools name their ``--out`` in one line;
OpenCV's own warning about the file stays off stderr.

Root writes into read-only folders, so the tests make ``open`` fail (the writers encode in memory
and write the bytes with it) instead of changing a folder's permissions, and ``cv2.imencode``
fail for an encoder's own failure.
"""

from __future__ import annotations

import errno
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from random_checkpoints import write_checkpoint
from tool_in_process import run_tool_here

from detseg.visualize import save_label_map, save_rgb, whole_files


def refuse_writes(monkeypatch, reason: OSError | None) -> list[int]:
    """Opening a file for writing raises ``reason`` when given (what it does in a folder this
    user may not write in); without one, ``cv2.imencode`` fails (an encoder's own failure).
    Returns the OpenCV log levels seen at each encoding."""
    levels: list[int] = []
    imencode = cv2.imencode

    def recording(suffix: str, pixels: np.ndarray) -> tuple[bool, np.ndarray]:
        levels.append(cv2.utils.logging.getLogLevel())
        if reason is None:
            return False, np.empty(0, np.uint8)
        return imencode(suffix, pixels)

    monkeypatch.setattr(cv2, "imencode", recording)
    if reason is not None:

        def refuse_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> None:
            raise reason

        monkeypatch.setattr(whole_files, "open", refuse_open, raising=False)
    return levels


def test_save_rgb_gives_the_os_reason_and_the_file(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    refuse_writes(monkeypatch, PermissionError(errno.EACCES, "Permission denied", str(target)))
    with pytest.raises(OSError) as caught:
        save_rgb(target, np.zeros((2, 2, 3), np.uint8))
    assert caught.value.errno == errno.EACCES
    assert caught.value.strerror == "Permission denied"
    assert caught.value.filename == str(target)


def test_a_writer_failure_in_a_writable_folder_is_eio_and_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "drawn.png"
    refuse_writes(monkeypatch, None)
    with pytest.raises(OSError) as caught:
        save_rgb(target, np.zeros((2, 2, 3), np.uint8))
    assert caught.value.errno == errno.EIO
    assert caught.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["labels.pgm", "labels.png"], ids=["grey", "palette"])
def test_a_label_map_gives_the_os_reason_and_the_file(tmp_path, monkeypatch, name):
    """A palette label map is encoded by Pillow in memory and written as the grey one is."""
    target = tmp_path / name
    refuse_writes(monkeypatch, PermissionError(errno.EACCES, "Permission denied", str(target)))
    with pytest.raises(OSError) as caught:
        save_label_map(target, np.zeros((2, 2), np.uint8))
    assert (caught.value.errno, caught.value.filename) == (errno.EACCES, str(target))


def test_opencv_log_is_silent_during_the_write_and_restored_after(tmp_path, monkeypatch):
    levels = refuse_writes(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    before = cv2.utils.logging.getLogLevel()
    with pytest.raises(OSError):
        save_rgb(tmp_path / "drawn.png", np.zeros((2, 2, 3), np.uint8))
    assert levels == [cv2.utils.logging.LOG_LEVEL_SILENT]
    assert cv2.utils.logging.getLogLevel() == before


def test_infer_names_an_out_folder_it_may_not_write_in(tmp_path, monkeypatch, capsys):
    config = "configs/segmentation/unet_shapes.yaml"
    checkpoint = write_checkpoint(
        tmp_path / "best.pt", config, ["model.depth=2"], classes=["a", "b"]
    )
    Image.new("RGB", (32, 32)).save(tmp_path / "image.png")
    out = tmp_path / "read_only"
    out.mkdir()
    refuse_writes(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    code = run_tool_here("infer.py", checkpoint, tmp_path / "image.png", "--out", out)
    lines = capsys.readouterr().err.splitlines()
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    expected = f"infer: error: cannot write {out}: Permission denied; choose a writable folder"
    assert lines[-1] == f"{expected} with --out", lines
    assert Path(out).is_dir()

"""An image is never written over a device, a FIFO or a link loop: the writers rename a new file
over the old one, which would put a regular file where the device or pipe was (as root, a link
to ``/dev/null`` would have replaced ``/dev/null``). Each is refused in one line that names the
path and what stands there, and is left as it was."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from detseg.visualize import save_label_map, save_rgb

GREY = np.full((4, 6, 3), 200, np.uint8)


def _character_device(path: os.PathLike) -> None:
    """A character device like ``/dev/null`` (major 1, minor 3) at ``path``; skips the test where
    this user may not make one (``mknod`` needs root)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device file needs root (CAP_MKNOD)")


def test_a_link_to_a_device_is_refused_and_the_device_kept(tmp_path):
    device, link = tmp_path / "null", tmp_path / "drawn.png"
    _character_device(device)
    link.symlink_to(device.name)
    with pytest.raises(ValueError) as caught:
        save_rgb(link, GREY)
    assert str(caught.value) == (
        f"cannot write {link} (a link to {device}): it is a character device, not a file; "
        "choose an image file path"
    )
    assert stat.S_ISCHR(os.lstat(device).st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drawn.png", "null"]


@pytest.mark.parametrize("save", [save_rgb, save_label_map], ids=["image", "label_map"])
def test_a_fifo_named_like_an_image_is_refused_and_kept(tmp_path, save):
    fifo = tmp_path / "drawn.png"
    os.mkfifo(fifo)
    with pytest.raises(ValueError) as caught:
        save(fifo, GREY if save is save_rgb else np.zeros((4, 6), np.uint8))
    assert str(caught.value) == (
        f"cannot write {fifo}: it is a FIFO (named pipe), not a file; choose an image file path"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["drawn.png"]


def test_a_link_loop_is_refused_and_kept(tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.symlink_to(second.name)
    second.symlink_to(first.name)
    with pytest.raises(ValueError) as caught:
        save_rgb(first, GREY)
    assert str(caught.value) == (
        f"cannot write {first}: it is a symbolic link that leads back to itself (a link loop); "
        "remove the link or give another file name"
    )
    assert first.is_symlink() and second.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]

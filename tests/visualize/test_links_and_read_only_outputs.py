"""An image written where a symbolic link or a read-only file stands, as ``cp`` and
``cv2.imwrite`` treat them: the link is written through (its target gets the image, the link
stays a link), and a file without write permission is refused in one line that names it and
says what to do, and is left as it was.

The tests run as root, who may write any file: a file counts as read-only by its mode (no write
bit, ``chmod a-w``) as well as by ``os.access``, so ``chmod 0o444`` makes one for root too.
"""

from __future__ import annotations

import os
import stat

import cv2
import numpy as np
import pytest
from PIL import Image
from random_checkpoints import write_checkpoint
from tool_in_process import run_tool_here

from detseg.visualize import save_label_map, save_rgb

GREY = np.full((4, 6, 3), 200, np.uint8)


def _pixel(path: os.PathLike) -> list[int]:
    return cv2.imread(str(path))[0, 0].tolist()


def test_a_link_is_written_through_to_its_target(tmp_path):
    target, link = tmp_path / "images" / "target.png", tmp_path / "link.png"
    target.parent.mkdir()
    save_rgb(target, np.zeros((4, 6, 3), np.uint8))
    link.symlink_to(target)
    save_rgb(link, GREY)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert _pixel(target) == [200, 200, 200]
    assert sorted(p.name for p in target.parent.iterdir()) == ["target.png"]  # no temporary


def test_a_label_map_is_written_through_a_link(tmp_path):
    target, link = tmp_path / "target.png", tmp_path / "link.png"
    save_label_map(target, np.zeros((3, 3), np.uint8))
    link.symlink_to(target.name)  # a relative link
    save_label_map(link, np.full((3, 3), 2, np.uint8))
    assert link.is_symlink()
    assert np.array(Image.open(target)).tolist() == [[2] * 3] * 3


def test_a_link_to_a_file_not_yet_there_creates_the_file(tmp_path):
    target, link = tmp_path / "new.png", tmp_path / "link.png"
    link.symlink_to(target)
    save_rgb(link, GREY)
    assert link.is_symlink() and _pixel(target) == [200, 200, 200]


def test_a_link_into_a_missing_folder_is_one_line(tmp_path):
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "gone" / "new.png")
    with pytest.raises(FileNotFoundError, match="whose folder does not exist") as caught:
        save_rgb(link, GREY)
    assert str(link) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("save", [save_rgb, save_label_map], ids=["image", "label_map"])
def test_a_read_only_file_is_refused_and_kept(tmp_path, save):
    path = tmp_path / "kept.png"
    save(path, np.zeros((4, 6, 3) if save is save_rgb else (4, 6), np.uint8))
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError) as caught:
        save(path, GREY if save is save_rgb else np.ones((4, 6), np.uint8))
    message = str(caught.value)
    assert message == (
        f"cannot write {path}: the file is read-only; make it writable (chmod u+w {path}) or "
        "choose another file name"
    )
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.png"]


def test_a_link_to_a_read_only_file_names_both(tmp_path):
    target, link = tmp_path / "target.png", tmp_path / "link.png"
    save_rgb(target, np.zeros((4, 6, 3), np.uint8))
    target.chmod(0o444)
    link.symlink_to(target)
    with pytest.raises(PermissionError, match=f"{link} \\(a link to {target}\\): the file is"):
        save_rgb(link, GREY)
    assert _pixel(target) == [0, 0, 0]


def test_a_file_writable_by_its_owner_only_is_replaced_with_its_mode(tmp_path):
    path = tmp_path / "mine.png"
    save_rgb(path, np.zeros((4, 6, 3), np.uint8))
    path.chmod(0o600)
    save_rgb(path, GREY)
    assert _pixel(path) == [200, 200, 200] and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_infer_names_a_read_only_drawing_in_its_out_folder(tmp_path, capsys):
    checkpoint = write_checkpoint(
        tmp_path / "best.pt", "configs/segmentation/unet_shapes.yaml", ["model.depth=2"]
    )
    Image.new("RGB", (32, 32)).save(tmp_path / "image.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "image.png").write_bytes(b"kept")
    (out / "image.png").chmod(0o444)
    code = run_tool_here("infer.py", checkpoint, tmp_path / "image.png", "--out", out, "--plain")
    lines = capsys.readouterr().err.splitlines()
    assert code == 2, lines
    assert lines[-1].startswith(f"infer: error: cannot write {out / 'image.png'}: the file is")
    assert not any("Traceback" in line for line in lines), lines
    assert (out / "image.png").read_bytes() == b"kept"

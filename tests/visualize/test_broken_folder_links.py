"""A folder of an image's path that is a symbolic link to a missing folder, or a link loop, is
refused in one line naming the link (``mkdir`` would fail with a bare ``FileExistsError``: the
link is there, though nothing it leads to is); the link is left as it is."""

from __future__ import annotations

import os

import numpy as np
import pytest

from detseg.visualize.saving import save_label_map, save_rgb

GREY = np.full((4, 6), 90, np.uint8)


def _message(what: str, path, link) -> str:
    return (
        f"cannot write {what} {path}: {link} is a link to a missing folder (or a link loop); "
        "create its target or remove the link"
    )


@pytest.mark.parametrize("deeper", [False, True], ids=["in_the_link", "below_it"])
def test_a_link_to_a_missing_folder_is_refused(tmp_path, deeper):
    link = tmp_path / "drawn"
    link.symlink_to(tmp_path / "gone")
    path = link / "sub" / "x.png" if deeper else link / "x.png"
    with pytest.raises(FileNotFoundError) as caught:
        save_rgb(path, GREY)
    assert str(caught.value) == _message("image", path, link)
    assert os.readlink(link) == str(tmp_path / "gone")
    assert [p.name for p in tmp_path.iterdir()] == ["drawn"]


def test_a_folder_link_loop_is_refused(tmp_path):
    first, second = tmp_path / "dl1", tmp_path / "dl2"
    first.symlink_to(second.name)
    second.symlink_to(first.name)
    path = first / "x.png"
    with pytest.raises(FileNotFoundError) as caught:
        save_label_map(path, GREY % 3)
    assert str(caught.value) == _message("label map", path, first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dl1", "dl2"]


def test_a_link_to_an_existing_folder_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "drawn").symlink_to("real")
    save_rgb(tmp_path / "drawn" / "x.png", GREY)
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["x.png"]

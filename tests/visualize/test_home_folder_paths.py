"""``save_rgb`` and ``save_label_map`` read a leading ``~`` as the home folder, as
``result.save`` and the video writer do: no folder named ``~`` is made in the working folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detseg.visualize.saving import save_label_map, save_rgb

GREY = np.full((4, 6), 90, np.uint8)


@pytest.mark.parametrize(
    ("save", "data"), [(save_rgb, GREY), (save_label_map, GREY % 3)], ids=["image", "label_map"]
)
@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_a_leading_tilde_is_the_home_folder(tmp_path, monkeypatch, save, data, as_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    save(Path("~/drawn/x.png") if as_path else "~/drawn/x.png", data)
    assert (home / "drawn" / "x.png").stat().st_size > 0
    assert list(work.iterdir()) == []

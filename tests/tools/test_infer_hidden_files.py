"""A folder given to ``tools/infer.py``, ``Predictor.stream`` or ``expand_inputs`` leaves its
hidden files out, as the pattern ``folder/*`` does: the ``._IMG_0001.jpg`` that macOS writes
beside each photo copied to a shared drive is metadata, not an image, and would make every
run over such a folder fail with exit code 2."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

import detseg
from detseg.api.video_names import videos_in_folder
from detseg.image_inputs import expand_inputs
from detseg.prediction_inputs import split_inputs


@pytest.fixture
def mac_folder(tmp_path) -> Path:
    """A folder with two photos, macOS's AppleDouble file of each, and a hidden video."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("IMG_0001.jpg", "IMG_0002.png"):
        assert cv2.imwrite(str(folder / name), np.full((24, 32, 3), 90, np.uint8))
        (folder / f"._{name}").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    (folder / "._clip.mp4").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    return folder


def test_a_folder_scan_leaves_hidden_files_out(mac_folder):
    paths, missing = expand_inputs([str(mac_folder)])
    assert [p.name for p in paths] == ["IMG_0001.jpg", "IMG_0002.png"] and missing == []
    assert paths == expand_inputs([str(mac_folder / "*")])[0]  # as the pattern finds them
    assert videos_in_folder(mac_folder) == []
    assert split_inputs([str(mac_folder)])[1] == []


def test_infer_runs_on_a_folder_copied_from_a_mac(mac_folder, tmp_path, run_tool):
    checkpoint = write_checkpoint(tmp_path / "best.pt", "configs/demo.yaml", DETECTOR)
    out = tmp_path / "out"
    result = run_tool("infer.py", checkpoint, mac_folder, "--out", out, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2 images, "), result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "IMG_0001.jpg",
        "IMG_0002.png",
        "predictions.json",
    ]
    stream = detseg.load(checkpoint, device="cpu").stream(mac_folder)
    assert [r.path.name for r in stream] == ["IMG_0001.jpg", "IMG_0002.png"]

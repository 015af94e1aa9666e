"""Checkpoints with random weights (a small detector, a small Mask R-CNN, a tiny U-Net; see
``tests/random_checkpoints.py``), a short generated video, ``predictor`` (the detector, then
the U-Net, loaded), ``reader``: the image reader counting the decoded images alive, and
``run_two_videos``: ``predict_checkpoint`` on a video and a copy of it, its errors collected."""

from __future__ import annotations

import weakref
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from random_checkpoints import DETECTOR, write_checkpoint

import detseg
from detseg.api import Predictor
from detseg.api import inputs as api_inputs
from detseg.data.image_io import read_image
from detseg.segmentation.inference import SegmentationInference

MASK_DETECTOR = [
    "model.name=mask_rcnn",  # demo.yaml's Faster R-CNN settings plus a small mask head
    "model.mask_layers=[8, 8]",
    "model.mask_dim_reduced=8",
    *DETECTOR,
]
MASK_CLASSES = ["circle", "square"]
SEGMENTER = ["model.base_channels=8", "model.depth=2", "eval.crf.iterations=2", "device=cpu"]
CAT_IDS = [10, 20, 30, 40, 50]


def write_video(path: Path, frames: int = 5, size: int = 64) -> Path:
    """An ``mp4v`` video of ``frames`` frames: a bright square moving over a dark background."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (size, size))
    assert writer.isOpened()
    for i in range(frames):
        frame = np.full((size, size, 3), 30, dtype=np.uint8)
        frame[16:40, 8 + 4 * i : 32 + 4 * i] = (40, 200, 240)
        writer.write(frame)
    writer.release()
    return path


def run_two_videos(checkpoint: Path, video: Path, out: Path, tmp_path: Path):
    """``(run, errors)`` of ``predict_checkpoint`` on ``video`` and its copy
    ``tmp_path/other/take2.mp4`` (one frame each) into ``out``, the errors it reported."""
    from detseg.predict_images import predict_checkpoint

    copy = tmp_path / "other" / "take2.mp4"
    copy.parent.mkdir()
    copy.write_bytes(video.read_bytes())
    errors: list[str] = []
    run = predict_checkpoint(
        checkpoint, [str(video), str(copy)], out, device="cpu", max_frames=1,
        on_error=errors.append,
    )  # fmt: skip
    return run, errors


def write_photos(folder: Path, count: int, height: int, width: int) -> list[Path]:
    """``count`` PNGs ``p00.png`` ... of ``height x width``, each with a rectangle of its own
    colour and place on a background of its own shade."""
    paths = []
    for i in range(count):
        rgb = np.full((height, width, 3), 20 + 10 * i, np.uint8)
        rgb[4 + i : 30 + i, 3 * i : 20 + 3 * i] = (230 - 15 * i, 40 + 15 * i, 90)
        path = folder / f"p{i:02d}.png"
        assert cv2.imwrite(str(path), rgb[:, :, ::-1])
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def photo_writer():
    """:func:`write_photos`, for the module fixtures of the image-reading tests."""
    return write_photos


@pytest.fixture(scope="session")
def detector_checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api_detector")
    return write_checkpoint(folder / "best.pt", "configs/demo.yaml", DETECTOR, CAT_IDS)


@pytest.fixture(scope="session")
def mask_checkpoint(tmp_path_factory) -> Path:
    """A Mask R-CNN of 2 classes with random weights; every detection is kept (score >= 0)."""
    folder = tmp_path_factory.mktemp("api_mask_rcnn")
    return write_checkpoint(
        folder / "best.pt", "configs/demo.yaml", MASK_DETECTOR, [3, 7], MASK_CLASSES
    )


@pytest.fixture(scope="session")
def segmenter_checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api_segmenter")
    return write_checkpoint(folder / "best.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER)


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("api_video") / "clip.mp4")


@pytest.fixture(scope="session")
def image_file(tmp_path_factory) -> Path:
    """A 64 x 48 RGB PNG with two coloured rectangles."""
    rgb = np.full((48, 64, 3), 20, dtype=np.uint8)
    rgb[5:30, 4:28] = (230, 40, 40)
    rgb[20:44, 34:60] = (40, 220, 90)
    path = tmp_path_factory.mktemp("api_image") / "two_boxes.png"
    assert cv2.imwrite(str(path), rgb[:, :, ::-1])
    return path


class CountingReader:
    """``read_image`` counting the decoded images alive (by weak reference) and the most alive
    at once."""

    def __init__(self) -> None:
        self.reads = 0
        self.alive = 0
        self.most_alive = 0

    def __call__(self, path, apply_exif_orientation=False) -> torch.Tensor:
        image = read_image(path, apply_exif_orientation)
        self.reads += 1
        self.alive += 1
        self.most_alive = max(self.most_alive, self.alive)
        weakref.finalize(image, self._freed)
        return image

    def _freed(self) -> None:
        self.alive -= 1


@pytest.fixture
def reader(monkeypatch) -> CountingReader:
    """The API's image reader replaced by a :class:`CountingReader` for one test."""
    counting = CountingReader()
    monkeypatch.setattr(api_inputs, "read_image", counting)
    return counting


@pytest.fixture(scope="module", params=["detector", "segmenter"])
def predictor(request, detector_checkpoint, segmenter_checkpoint) -> Predictor:
    """The small detector, then the tiny U-Net (one pass: no TTA or CRF to wait for); a test
    file's own ``predictor`` fixture takes its place there."""
    checkpoint = {"detector": detector_checkpoint, "segmenter": segmenter_checkpoint}
    predictor = detseg.load(checkpoint[request.param], device="cpu")
    predictor.inference = SegmentationInference()
    return predictor

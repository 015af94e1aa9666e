"""``Predictor.stream`` over images (a folder, a glob pattern, a list, a generator, arrays) gives
``predict``'s results, in the same order, with the same paths; a folder gives its image files
as ``tools/infer.py`` reads one (videos and subfolders skipped), a pattern its images and
videos (as ``tools/infer.py`` expands one), and a video path is streamed frame by frame."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from same_results import assert_same_results

import detseg
from detseg.api import DetectionResult
from detseg.data.shapes import render_image

SHAPES = 5


@pytest.fixture(scope="module")
def shapes_folder(tmp_path_factory) -> Path:
    """Five 64 x 64 images of the shapes dataset, ``s0.png`` .. ``s4.png``."""
    folder = tmp_path_factory.mktemp("shapes_images")
    for i in range(SHAPES):
        rgb = render_image(0, "val", i, size=64).image
        assert cv2.imwrite(str(folder / f"s{i}.png"), rgb[:, :, ::-1])
    return folder


@pytest.mark.parametrize("given", ["folder", "folder name", "pattern", "list", "generator"])
def test_a_folder_of_images_streams_as_predict_predicts(predictor, shapes_folder, given):
    expected = predictor.predict(str(shapes_folder / "*.png"), batch_size=2)
    files = sorted(shapes_folder.glob("*.png"))
    source = {
        "folder": shapes_folder,
        "folder name": str(shapes_folder),
        "pattern": str(shapes_folder / "*.png"),
        "list": files,
        "generator": (path for path in files),
    }[given]
    streamed = list(predictor.stream(source, batch_size=2))
    assert [r.path for r in streamed] == files
    assert [r.path.name for r in streamed] == [f"s{i}.png" for i in range(SHAPES)]
    assert all(r.frame is None for r in streamed)
    assert len(streamed) == len(expected) == SHAPES
    if isinstance(expected[0], DetectionResult):
        assert sum(len(r) for r in expected) > 0  # there are detections to compare
    for a, b in zip(streamed, expected, strict=True):
        assert_same_results(a, b)


def test_arrays_tensors_and_pil_images_stream_as_predict_predicts(predictor, shapes_folder):
    from PIL import Image

    arrays = [cv2.imread(str(path)) for path in sorted(shapes_folder.glob("*.png"))]  # BGR
    rgb = [array[:, :, ::-1].copy() for array in arrays]
    expected = predictor.predict(rgb, batch_size=2)
    sources = {
        "bgr arrays": (iter(arrays), {"bgr": True}),
        "batch array": (np.stack(rgb), {}),
        "batch tensor": (torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2), {}),
        "pil images": ([Image.fromarray(array) for array in rgb], {}),
    }
    for name, (source, options) in sources.items():
        streamed = list(predictor.stream(source, batch_size=2, **options))
        assert len(streamed) == SHAPES, name
        for a, b in zip(streamed, expected, strict=True):
            assert_same_results(a, b)


def test_one_image_streams_one_result_and_max_frames_stops_early(predictor, shapes_folder):
    one = list(predictor.stream(shapes_folder / "s3.png"))
    assert len(one) == 1 and one[0].path == shapes_folder / "s3.png"
    assert_same_results(one[0], predictor.predict(shapes_folder / "s3.png"))
    assert [r.path.name for r in predictor.stream(shapes_folder, max_frames=2)] == [
        "s0.png",
        "s1.png",
    ]


def test_a_folder_skips_its_videos_and_subfolders_a_pattern_keeps_them_as_infer_does(
    predictor, shapes_folder, video, tmp_path
):
    folder = tmp_path / "mixed"
    shutil.copytree(shapes_folder, folder)
    shutil.copy(video, folder / "clip.mp4")
    (folder / "nested").mkdir()
    shutil.copy(shapes_folder / "s0.png", folder / "nested" / "deep.png")
    (folder / "notes.txt").write_text("not an image")
    images = [f"s{i}.png" for i in range(SHAPES)]
    assert [r.path.name for r in predictor.stream(folder)] == images
    mixed = list(predictor.stream(str(folder / "*")))  # sorted: clip.mp4 first, notes skipped
    assert [(r.path.name, r.frame) for r in mixed] == [("clip.mp4", i) for i in range(5)] + [
        (name, None) for name in images
    ]
    frames = list(predictor.stream(folder / "clip.mp4", max_frames=3))
    assert [r.frame for r in frames] == [0, 1, 2]
    assert all(r.path == folder / "clip.mp4" for r in frames)


def test_predict_on_a_folder_points_to_stream(detector_checkpoint, shapes_folder):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with pytest.raises(ValueError, match=r"a batch at a time with predictor\.stream\('"):
        predictor.predict(str(shapes_folder))

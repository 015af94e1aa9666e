"""Keeping some classes: ``DetectionResult[index]``, ``predict(..., classes=)``, ``stream`` and
``infer.py --classes``; class names or labels, bad ones named before any image is read."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

import detseg
from detseg.api import DetectionResult
from detseg.data.shapes import SHAPE_CLASSES
from detseg.predict_images import predict_checkpoint


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    """The random detector with every candidate kept (its 20 proposals x 5 classes): several
    classes among them."""
    return detseg.load(detector_checkpoint, "cpu", ["model.roi_heads.detections_per_img=100"])


@pytest.fixture(scope="module")
def everything(detector, image_file) -> DetectionResult:
    """Every detection of the random detector (score >= 0): several classes."""
    found = detector.predict(image_file, score_thr=0.0)
    assert len(set(found.labels.tolist())) >= 3
    return found


def _result(masks: bool = False) -> DetectionResult:
    return DetectionResult(
        boxes=torch.arange(12.0).reshape(3, 4),
        scores=torch.tensor([0.9, 0.5, 0.2]),
        labels=torch.tensor([1, 2, 1]),
        classes=["a", "b"],
        image=np.zeros((8, 8, 3), np.uint8),
        masks=torch.eye(8, dtype=torch.bool).expand(3, 8, 8).clone() if masks else None,
    )


def test_a_result_is_indexed_by_mask_indices_slice_or_position() -> None:
    result = _result(masks=True)
    high = result[result.scores > 0.4]
    assert high.scores.tolist() == pytest.approx([0.9, 0.5]) and high.names == ["a", "b"]
    assert high.masks is not None and high.masks.shape == (2, 8, 8)
    assert result[[2, 0]].scores.tolist() == pytest.approx([0.2, 0.9])
    assert result[np.array([False, True, False])].labels.tolist() == [2]
    assert result[1:].boxes.tolist() == result.boxes[1:].tolist()
    assert len(result[0]) == 1 and result[-1].scores.tolist() == pytest.approx([0.2])
    assert len(result[[]]) == 0 and result[[]].boxes.shape == (0, 4)
    assert [len(one) for one in result] == [1, 1, 1]  # iterating gives one detection each
    assert len(result) == 3 and result.image is result[0].image  # the original is kept
    with pytest.raises(IndexError):
        result[3]
    with pytest.raises(IndexError):
        result[[True, False]]


@pytest.mark.parametrize(
    "classes",
    [
        ["circle", "star"],
        [1, 4],
        ["1", "star"],
        ("circle", 4),
        {"circle", 4},
        range(1, 5, 3),
        np.array([1, 4]),  # labels as users have them at hand: np.where(...), a tensor
        torch.tensor([1, 4]),
    ],
)
def test_predict_keeps_the_detections_of_the_named_classes(
    detector, image_file, everything, classes
):
    kept = detector.predict(image_file, score_thr=0.0, classes=classes)
    wanted = [k in (1, 4) for k in everything.labels.tolist()]
    assert SHAPE_CLASSES[0] == "circle" and SHAPE_CLASSES[3] == "star"
    assert kept.labels.tolist() == everything.labels[wanted].tolist()
    assert kept.scores.tolist() == everything.scores[wanted].tolist()
    assert set(kept.names) <= {"circle", "star"}


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (["cirlce"], "unknown class 'cirlce' (the model's classes: ['circle', 'square', "),
        ([0], "class label 0 is outside 1..5"),
        (["6"], "class label 6 is outside 1..5"),
        ([], "classes must be a non-empty list"),
        ("circle", "classes must be a non-empty list"),
        ([1.5], "a class is a name or a label 1..K, got 1.5"),
        ([True], "a class is a name or a label 1..K, got True"),
        (torch.tensor([1.0]), "a class is a name or a label 1..K, got 1.0"),
        (np.array([[1, 4]]), "classes must be a non-empty list"),
        (np.array([], dtype=np.int64), "classes must be a non-empty list"),
        ({"circle": 1}, "classes must be a non-empty list"),
    ],
)
def test_a_bad_class_is_named_before_any_image_is_read(detector, classes, message):
    unread = iter([])  # would not be read: the check comes first
    with pytest.raises(ValueError, match=re.escape(message)):
        detector.predict(unread, classes=classes)
    with pytest.raises(ValueError, match=re.escape(message)):
        detector.stream("no_such_video.mp4", classes=classes)


def test_a_segmenter_refuses_classes(segmenter_checkpoint, image_file, tmp_path):
    segmenter = detseg.load(segmenter_checkpoint, device="cpu")
    with pytest.raises(ValueError, match="classes are for detectors"):
        segmenter.predict(image_file, classes=["circle"])
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="^classes is for detectors") as caught:
        predict_checkpoint(segmenter_checkpoint, [str(image_file)], out, "cpu", classes=["a"])
    assert str(caught.value).endswith("drop classes") and not out.exists()


def test_stream_keeps_the_named_classes(detector, video):
    every = list(detector.stream(video, score_thr=0.0, max_frames=2))
    kept = list(detector.stream(video, score_thr=0.0, max_frames=2, classes=["square"]))
    assert len(every) == 2
    for all_of_frame, frame in zip(every, kept, strict=True):
        assert frame.labels.tolist() == [k for k in all_of_frame.labels.tolist() if k == 2]
    # squares are kept and the other classes dropped: the filter has something to do
    assert any(frame.labels.tolist() for frame in kept)
    assert any(set(frame.labels.tolist()) - {2} for frame in every)


def test_infer_writes_the_named_classes_only(detector_checkpoint, image_file, everything, tmp_path):
    run = predict_checkpoint(
        detector_checkpoint,
        [str(image_file)],
        tmp_path / "out",
        "cpu",
        score_threshold=0.0,
        overrides=["model.roi_heads.detections_per_img=100"],  # as the detector fixture
        classes=["triangle"],
    )
    records = json.loads((tmp_path / "out" / "predictions.json").read_text())
    triangles = int((everything.labels == 3).sum())
    assert len(records) == run.detections == triangles and 0 < triangles < len(everything)
    assert {r["category_id"] for r in records} == {30}  # triangle: the third category id


def test_infer_names_an_unknown_class_in_one_line(detector_checkpoint, image_file, run_tool):
    result = run_tool("infer.py", detector_checkpoint, image_file, "--classes", "hexagn")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line == (
        "infer: error: unknown class 'hexagn' (the model's classes: ['circle', 'square', "
        "'triangle', 'star', 'hexagon']); did you mean 'hexagon'?"
    )

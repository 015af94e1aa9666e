"""Detection confusion matrix on a case worked out by hand."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.evaluation.detection_confusion import (
    detection_confusion,
    detection_confusion_figure,
    detection_confusion_matrix,
    plot_confusion_matrix,
)


def _ann(ann_id: int, image_id: int, cat: int, box: list[float], crowd: int = 0) -> dict:
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": cat,
        "bbox": box,
        "area": float(box[2] * box[3]),
        "iscrowd": crowd,
    }


def _det(image_id: int, cat: int, box: list[float], score: float) -> dict:
    return {"image_id": image_id, "category_id": cat, "bbox": box, "score": score}


def _gt() -> dict:
    """Classes A (id 1), B (id 2), C (id 5); image 4 is empty."""
    return {
        "images": [{"id": i, "width": 300, "height": 300} for i in (1, 2, 3, 4)],
        "annotations": [
            _ann(1, 1, 1, [0, 0, 10, 10]),
            _ann(2, 1, 2, [20, 20, 10, 10]),
            _ann(3, 1, 1, [50, 50, 40, 40], crowd=1),
            _ann(4, 2, 5, [0, 0, 20, 20]),
            _ann(5, 2, 1, [40, 40, 10, 10]),
            _ann(6, 3, 1, [0, 0, 10, 10]),
            _ann(7, 3, 2, [0, 2, 10, 10]),
        ],
        "categories": [{"id": 5, "name": "C"}, {"id": 1, "name": "A"}, {"id": 2, "name": "B"}],
    }


def _detections() -> list[dict]:
    return [
        # image 1
        _det(1, 1, [0, 0, 10, 10], 0.9),  # on gt A -> (A, A)
        _det(1, 1, [1, 0, 10, 10], 0.8),  # duplicate of a matched gt -> (bg, A)
        _det(1, 5, [20, 20, 10, 10], 0.7),  # C on gt B -> (B, C)
        _det(1, 2, [60, 60, 10, 10], 0.6),  # inside the crowd region only -> ignored
        _det(1, 2, [200, 200, 10, 10], 0.2),  # below the score threshold -> left out
        _det(1, 99, [0, 0, 10, 10], 0.9),  # category unknown to the gt -> ignored
        # image 2: gt C missed -> (C, bg); the B box comes first (score) and takes gt A
        _det(2, 2, [40, 40, 10, 10], 0.5),  # -> (A, B)
        _det(2, 1, [41, 40, 10, 10], 0.4),  # gt A already taken -> (bg, A)
        # image 3: IoU 1.0 with gt A but 0.67 with gt B: the same class wins -> (B, B), (A, bg)
        _det(3, 2, [0, 0, 10, 10], 0.9),
    ]


def test_hand_computed_matrix() -> None:
    result = detection_confusion(_gt(), _detections(), iou_threshold=0.5, score_threshold=0.3)
    assert result.class_names == ["A", "B", "C", "background"]  # category id order
    assert result.cat_ids == [1, 2, 5]
    expected = np.array(
        [
            # A  B  C  bg   (predicted)
            [1, 1, 0, 1],  # gt A
            [0, 1, 1, 0],  # gt B
            [0, 0, 0, 1],  # gt C
            [2, 0, 0, 0],  # background (false positives)
        ]
    )
    np.testing.assert_array_equal(result.matrix, expected)
    assert result.matrix.dtype == np.int64


def test_per_image_counts_and_f1() -> None:
    result = detection_confusion(_gt(), _detections(), score_threshold=0.3)
    counts = result.counts_per_image()
    # image 1: (A,A) (bg,A) (B,C): tp 1, fp 2, fn 1. image 2: (C,bg) (A,B) (bg,A): 0, 2, 2.
    assert counts == {1: (1, 2, 1), 2: (0, 2, 2), 3: (1, 0, 1), 4: (0, 0, 0)}
    f1 = result.f1_per_image()
    assert f1 == pytest.approx({1: 2 / 5, 2: 0.0, 3: 2 / 3, 4: 1.0})


def test_score_threshold_zero_keeps_the_low_detection() -> None:
    matrix = detection_confusion_matrix(_gt(), _detections(), score_threshold=0.0)
    assert matrix[3, 1] == 1  # the 0.2 B box far from everything: a false positive
    assert matrix.sum() == 9


def test_crowd_region_is_not_missed_and_a_non_crowd_box_is() -> None:
    gt = _gt()
    gt["annotations"][2]["iscrowd"] = 0  # the big A box becomes a normal object
    matrix = detection_confusion_matrix(gt, _detections())
    # The B box inside it has IoU 100 / 1600 < 0.5: a false positive, and the A box is missed.
    assert matrix[3, 1] == 1 and matrix[0, 3] == 2


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="image_id 42"):
        detection_confusion(_gt(), [_det(42, 1, [0, 0, 1, 1], 0.5)])
    with pytest.raises(ValueError, match="detection 0 lacks 'bbox'; every record needs"):
        detection_confusion(_gt(), [{"image_id": 1, "category_id": 1, "score": 0.5}])
    with pytest.raises(ValueError, match="detection 1 lacks 'image_id' and 'score';"):
        detection_confusion(
            _gt(), [_det(1, 1, [0, 0, 1, 1], 0.5), {"category_id": 1, "bbox": [0, 0, 1, 1]}]
        )
    with pytest.raises(ValueError, match="detection 0 has score 'high'; expected a number"):
        detection_confusion(_gt(), [{**_det(1, 1, [0, 0, 1, 1], 0.5), "score": "high"}])
    with pytest.raises(ValueError, match="score_threshold"):
        detection_confusion(_gt(), [], score_threshold=1.5)


def test_plot_is_a_valid_png(tmp_path) -> None:
    result = detection_confusion(_gt(), _detections())
    path = plot_confusion_matrix(result.matrix, result.class_names, tmp_path / "cm.png")
    image = cv2.imread(str(path))
    assert image is not None and min(image.shape[:2]) > 100
    with pytest.raises(ValueError, match="expected \\(3, 3\\)"):
        plot_confusion_matrix(result.matrix, ["a", "b", "c"], tmp_path / "bad.png")


def test_plot_explains_the_background_row_and_column() -> None:
    result = detection_confusion(_gt(), _detections())
    fig = detection_confusion_figure(result.matrix, result.class_names)
    (ax,) = [a for a in fig.axes if a.get_xlabel()]
    assert "missed objects" in ax.get_xlabel() and "false positives" in ax.get_ylabel()
    n = len(result.class_names)
    cells = [t for t in ax.texts if t.get_text().isdigit()]
    assert len(cells) == n * n - 1  # background x background is left blank


def test_plot_colours_are_the_row_shares_and_cells_the_counts() -> None:
    result = detection_confusion(_gt(), _detections(), iou_threshold=0.5, score_threshold=0.3)
    fig = detection_confusion_figure(result.matrix, result.class_names)
    (ax,) = [a for a in fig.axes if a.get_xlabel()]
    # the hand-computed matrix of test_hand_computed_matrix, each row over its sum (3, 2, 1, 2)
    shares = np.array(
        [
            [1 / 3, 1 / 3, 0, 1 / 3],  # gt A
            [0, 1 / 2, 1 / 2, 0],  # gt B
            [0, 0, 0, 1],  # gt C
            [1, 0, 0, 0],  # background
        ]
    )
    (image,) = ax.images
    np.testing.assert_array_equal(np.asarray(image.get_array()), shares)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    expected = {(i, j): str(count) for (i, j), count in np.ndenumerate(result.matrix)}
    del expected[(3, 3)]  # background x background: blank
    assert {cell: text.get_text() for cell, text in cells.items()} == expected
    # a count over more than half of its row is written in white on the dark blue
    white = {cell for cell, text in cells.items() if text.get_color() == "white"}
    assert white == {(2, 3), (3, 0)}

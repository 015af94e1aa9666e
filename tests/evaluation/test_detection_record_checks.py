"""``check_detection`` answers json's plain records in one quick pass; every record gets the
same answer (passes, or the same error) as from the full checks alone."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import detseg.evaluation.coco_checks as coco_checks

#: field values of every kind the checks tell apart (json numbers, numpy scalars, whole-float
#: and huge ids, bools, strings, non-finite numbers, missing)
VALUES = [
    1,
    0,
    -4,
    2.5,
    -0.0,
    3.0,
    10**400,
    float("nan"),
    float("inf"),
    True,
    np.int64(3),
    np.float32(2.5),
    np.float64("nan"),
    "3",
    None,
    [1],
]
BOXES = [
    [0, 0, 10, 10],
    [0.5, 1.5, 2.0, 3.25],
    (1, 2, 3, 4),
    [1, 2, 3],
    [1, 2, 3, 4, 5],
    [1, 2, float("nan"), 4],
    [1, 2, float("inf"), 4],
    [1, True, 3, 4],
    [np.float32(1), 2, 3, 4],
    [1, 2, "3", 4],
    [1, 2, 10**400, 4],
    "abcd",
    None,
    {"x": 1},
]
_MISSING = object()


def _outcome(det, full_checks_only: bool, monkeypatch) -> str:
    """``"ok"`` or ``"<error type>: <message>"`` of ``check_detection(det, 7, "p.json")``."""
    with monkeypatch.context() as patch:
        if full_checks_only:
            patch.setattr(coco_checks, "_is_plain_detection", lambda det: False)
        try:
            coco_checks.check_detection(det, 7, "p.json")
        except (ValueError, OverflowError) as error:
            return f"{type(error).__name__}: {error}"
    return "ok"


def _records():
    rng = np.random.default_rng(0)
    fields = {
        "bbox": [*BOXES, _MISSING],
        "score": [*VALUES, _MISSING],
        "category_id": [*VALUES, _MISSING],
        "image_id": [*VALUES, _MISSING],
    }
    for _ in range(3000):
        record = {"file_name": "a.png"} if rng.random() < 0.1 else {}
        for key, choices in fields.items():
            value = choices[rng.integers(len(choices))]
            if value is not _MISSING:
                record[key] = value
        yield record
    # every kind of field alone, beside plain values of the others
    plain = {"bbox": [0, 0, 5, 5], "score": 0.5, "category_id": 1, "image_id": 2}
    for key, choices in fields.items():
        for value in choices:
            record = dict(plain)
            if value is _MISSING:
                del record[key]
            else:
                record[key] = value
            yield record


def test_records_get_the_answer_of_the_full_checks(monkeypatch):
    outcomes = set()
    for record in itertools.chain(_records(), [[1, 2], "record", None]):
        quick = _outcome(record, False, monkeypatch)
        assert quick == _outcome(record, True, monkeypatch), record
        outcomes.add(quick == "ok")
    assert outcomes == {True, False}


@pytest.mark.parametrize(
    "record",
    [
        {"bbox": [0, 0, 5, 5], "score": 0.5, "category_id": 1, "image_id": 2},
        {"bbox": [0.0, 1.5, 5, 5.5], "score": 1, "category_id": 90, "image_id": 10**12},
        {"score": 0.5, "category_id": 1},
        {},
    ],
)
def test_plain_records_take_the_quick_pass(record):
    assert coco_checks._is_plain_detection(record)

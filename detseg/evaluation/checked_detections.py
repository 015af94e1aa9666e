"""COCO result records checked once, for the steps of one evaluation to read without re-checking.

:func:`~detseg.evaluation.prediction_files_eval.evaluate_prediction_files` checks every record of
a predictions file (its messages name the file and the record's position) and hands the records
on as :class:`CheckedDetections`. The COCO evaluation (:mod:`~detseg.evaluation.coco`), the
confusion matrix (:mod:`~detseg.evaluation.detection_confusion`), the VOC AP
(:mod:`~detseg.evaluation.voc_coco`) and the report's mask boxes then skip the per-record checks
they run on any other list (:func:`~detseg.evaluation.coco_checks.check_detection`, the required
fields, the masks); what depends on their ground truth (the ``image_id`` of a gt image) they
still check. Plain lists are checked as before.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CheckedDetections", "checked_fields"]


class CheckedDetections(list[dict]):
    """COCO result dicts already checked: the present fields of each passed
    :func:`~detseg.evaluation.coco_checks.check_detection` (``bbox`` ``[x, y, w, h]`` px finite
    numbers, ``score`` finite, ``image_id`` / ``category_id`` integers) and each holds every key
    of :attr:`fields`; with ``"segmentation"`` among them each ``segmentation`` also passed
    :func:`~detseg.evaluation.coco_checks.check_segmentation` and
    :func:`~detseg.evaluation.coco_checks.check_rle_strings`.

    A list like any other; records added or changed later are not checked again: build it from
    the final records.

    Attributes:
        fields: the keys every record has, e.g. ``{"image_id", "category_id", "score", "bbox"}``.
    """

    def __init__(self, records: Iterable[dict], fields: Iterable[str]) -> None:
        super().__init__(records)
        self.fields = frozenset(fields)


def checked_fields(detections: object, fields: Iterable[str]) -> bool:
    """Whether ``detections`` is a :class:`CheckedDetections` whose records all hold ``fields``
    (checked): its per-record checks can be skipped."""
    return isinstance(detections, CheckedDetections) and detections.fields.issuperset(fields)

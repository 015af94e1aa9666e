"""Match predictions named by image file to the image ids of a COCO ground truth.

``tools/infer.py`` writes detections (``OUT/predictions.json``) that name their image by path
(``{"file_name": "runs/x/val/images/000001.png", "bbox": ..., ...}``) because it
knows no dataset. To score them, each record must carry the ``image_id`` of the
ground-truth image with the same file: the gt ``images[].file_name`` must be a
trailing part of the record's path (``images/000001.png`` matches
``runs/x/val/images/000001.png``), the longest such match wins.
"""

from __future__ import annotations

import logging

from detseg.named_settings import NameOnly, SettingError, literal

logger = logging.getLogger(__name__)


def match_file_names(gt: dict, records: list[dict]) -> list[dict]:
    """COCO results whose records with a ``file_name`` take the id of that gt image.

    Args:
        gt: COCO ground truth with ``images[].file_name``.
        records: COCO results; a record with ``file_name`` (e.g. from tools/infer.py)
            is matched to the gt image whose ``file_name`` is the longest trailing
            part of it, and loses ``file_name``; other records are kept as they are.

    Returns:
        The detections, in order, without the records whose file matches no gt image.

    Raises:
        ValueError: no record with a ``file_name`` matches a gt image (a
            :class:`~detseg.named_settings.SettingError` naming ``gt`` and ``predictions``,
            :func:`~detseg.evaluation.prediction_files_eval.evaluate_prediction_files`'
            arguments, or a tool's flags by ``naming(flags)``), or one matches two gt images
            equally well.
    """
    by_name: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for img in gt.get("images", []):
        if img.get("file_name"):
            parts = _path_parts(str(img["file_name"]))
            by_name.setdefault(parts[-1], []).append((parts, int(img["id"])))
    ids: dict[str, int | None] = {}
    detections = []
    for record in records:
        if not isinstance(record, dict) or "file_name" not in record:
            detections.append(record)
            continue
        name = str(record["file_name"])
        if name not in ids:
            ids[name] = _image_id_of(name, by_name)
        if ids[name] is not None:
            detection = {k: v for k, v in record.items() if k != "file_name"}
            detections.append({**detection, "image_id": ids[name]})
    unmatched = sorted(name for name, image_id in ids.items() if image_id is None)
    if unmatched and len(unmatched) == len(ids):
        some = sorted(by_name)[:3]
        raise SettingError(
            f"no prediction file_name (e.g. {literal(repr(unmatched[0]))}) ends with a gt "
            f"images[].file_name (e.g. {literal(some)}); are {{gt}} and {{predictions}} about "
            "the same images?",
            gt=NameOnly("gt"),
            predictions=NameOnly("predictions"),
        )
    if unmatched:
        logger.warning(
            "%d predicted image(s) are not in the ground truth and are left out: %s",
            len(unmatched),
            ", ".join(unmatched[:5]) + (" ..." if len(unmatched) > 5 else ""),
        )
    return detections


def _path_parts(name: str) -> tuple[str, ...]:
    """The components of a ``/`` or ``\\`` separated path, without empty and ``.`` parts."""
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _image_id_of(name: str, by_name: dict[str, list[tuple[tuple[str, ...], int]]]) -> int | None:
    """Id of the gt image whose path parts are the longest tail of ``name``'s; ``None`` if none.

    Raises:
        ValueError: two gt images match equally long tails.
    """
    parts = _path_parts(name)
    if not parts:
        return None
    matches = sorted(
        (len(gt_parts), image_id)
        for gt_parts, image_id in by_name.get(parts[-1], [])
        if len(gt_parts) <= len(parts) and parts[len(parts) - len(gt_parts) :] == gt_parts
    )
    if len(matches) > 1 and matches[-1][0] == matches[-2][0]:
        raise ValueError(
            f"prediction file_name {name!r} matches gt images {matches[-2][1]} and "
            f"{matches[-1][1]} equally; give the gt unique file_name entries"
        )
    return matches[-1][1] if matches else None

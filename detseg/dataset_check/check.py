"""Checking a dataset before training: build the splits, scan them, count, judge.

:func:`check_dataset` is what ``tools/check_data.py`` runs; the result holds the scans (for
drawing), the counts (``summary.json``) and the findings, and gives the exit code (1 when
there is an error). Writing the reports is :func:`detseg.dataset_check.report.write_reports`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from detseg.config.data_file import check_data_section
from detseg.data.base import DetectionDataset
from detseg.data.coco_masks import box_mask_message
from detseg.data.data_section_errors import check_section
from detseg.data.masks import SegmentationDataset
from detseg.data.registry import build_dataset, with_known_classes
from detseg.data.voc_split_files import line_numbers_text, repeated_ids_note
from detseg.dataset_check.finding_record import SEVERITIES, CheckSettings, Finding
from detseg.dataset_check.findings import overlap_findings, split_findings
from detseg.dataset_check.scan import scan_split
from detseg.dataset_check.scan_records import SplitScan
from detseg.dataset_check.source import held_out_section
from detseg.dataset_check.stats import split_overlap, split_summary
from detseg.named_settings import SettingError, literal

__all__ = [
    "DatasetCheck",
    "check_dataset",
    "check_scans",
    "mask_ground_truth_findings",
    "repeated_id_findings",
]

#: The loggers of the reader warnings, said while a split is built, whose every case the
#: report lists as a finding of its own: a ``voc_seg`` split file's ids without their image or
#: label map, and a ``voc`` split file's ids without their image (``unreadable_images``,
#: ``unreadable_labels``, ending with the split file that names the ids and what to do:
#: :func:`~detseg.data.voc_seg_split.listed_missing_note`), and the ids a ``voc`` or ``voc_seg``
#: split file lists more than once (``repeated_ids``: :func:`repeated_id_findings`). The check
#: leaves them to the report. (A logger's filter does not see its child loggers' records, so
#: the child logger of the repeated ids is named too.)
REPORTED_READER_LOGGERS = (
    "detseg.data.voc_seg_split",
    "detseg.data.voc_split_files",
    "detseg.data.voc_split_files.repeated_ids",
)


@dataclass
class DatasetCheck:
    """What the check of a dataset found.

    Attributes:
        data: The data section checked (``{"format", "root", **format keys}``).
        scans: ``{split: SplitScan}`` in the order checked.
        splits: ``{split: counts}`` (:func:`~detseg.dataset_check.stats.split_summary`).
        overlaps: ``{"train/val": counts}`` (:func:`~detseg.dataset_check.stats.split_overlap`).
        findings: Errors first, then warnings, then notes.
        source: The file the data section came from (shown in the reports).
    """

    data: dict[str, Any]
    scans: dict[str, SplitScan]
    splits: dict[str, dict[str, Any]]
    overlaps: dict[str, dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)
    source: str = ""

    def of_severity(self, severity: str) -> list[Finding]:
        """The findings of one severity (``"error"``, ``"warning"``, ``"info"``)."""
        return [f for f in self.findings if f.severity == severity]

    @property
    def exit_code(self) -> int:
        """``1`` when there is an error, else ``0`` (warnings do not fail a check)."""
        return 1 if self.of_severity("error") else 0

    def to_dict(self) -> dict[str, Any]:
        """Everything counted, as plain JSON data (``summary.json``)."""
        return {
            "source": self.source,
            "data": self.data,
            "errors": len(self.of_severity("error")),
            "warnings": len(self.of_severity("warning")),
            "exit_code": self.exit_code,
            "findings": [f.to_dict() for f in self.findings],
            "splits": self.splits,
            "overlaps": self.overlaps,
        }


def check_scans(
    scans: dict[str, SplitScan],
    data: dict[str, Any],
    settings: CheckSettings | None = None,
    source: str = "",
) -> DatasetCheck:
    """Count and judge scanned splits (the part of :func:`check_dataset` after the scan).

    Args:
        scans: ``{split: SplitScan}``.
        data: The data section the splits came from (kept in the result).
        settings: Thresholds of the checks.
        source: The file the data section came from.
    """
    settings = settings or CheckSettings()
    splits = {name: split_summary(scan, settings.max_files) for name, scan in scans.items()}
    findings = []
    for name, summary in splits.items():
        findings += split_findings(name, summary, settings)
    overlaps = {}
    for first, second in combinations(scans, 2):
        overlap = split_overlap(scans[first], scans[second], settings.max_files)
        overlaps[f"{first}/{second}"] = overlap
        findings += overlap_findings(first, second, overlap)
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return DatasetCheck(dict(data), scans, splits, overlaps, findings, source)


def check_dataset(
    data: dict[str, Any],
    splits: Sequence[str] = ("train", "val"),
    decode: bool = True,
    progress: bool | None = None,
    settings: CheckSettings | None = None,
    source: str = "",
) -> DatasetCheck:
    """Check the splits of a dataset before training on it.

    The data section is checked first as a training run checks it
    (:func:`~detseg.config.data_file.check_data_section`: ``load_masks: 'maybe'``,
    ``classes: 5`` or an unknown key are refused; switches such as ``'yes'`` read as bools; a
    path given as a ``Path`` is taken as its text). Every split is built next (a bad path or
    config fails before any scan), the train split before the others, which take its class
    names where training does (VOC without ``classes``; built for that alone when it is not
    checked), then each is scanned (:func:`~detseg.dataset_check.scan.scan_split`), counted
    and judged.

    Args:
        data: A flat data section ``{"format", "root", **format keys}`` without
            ``augmentations`` (``DataConfig.dataset_kwargs()``).
        splits: The splits to check: ``"train"``, ``"val"``, ``"test"`` (where the val split
            lies, ``val`` changed to ``test``: :func:`.source.held_out_section`).
        decode: Decode every image fully (finds truncated files); else read headers only.
        progress: A progress bar per split on stderr (``None``: only when stderr is a
            terminal).
        settings: Thresholds of the checks.
        source: The file ``data`` came from (shown in the reports, and at the start of an
            error about a value of ``data``; ``"data"`` when not given).

    Returns:
        The check; its ``exit_code`` is 1 when an error was found. Its ``data`` is the checked
        section (``format`` and ``root`` filled in, switches as bools).

    Raises:
        SettingError: ``splits`` is a string, empty or names an unknown split (a
            ``ValueError``, naming ``splits``).
        ConfigError: (a ``ValueError``) a value training refuses: an unknown format or key,
            a switch that is no bool, a ``classes`` that is no list of names or file, a path
            that is no text (``<source>: 'data.load_masks' must be a bool, got 'maybe'``).
        ValueError: No root, no test split to be found (:func:`.source.held_out_section`), or
            a reader's check.
        FileNotFoundError: A configured file or folder does not exist.
        TypeError: ``data`` is no dict.
    """
    splits = _checked_splits(splits)
    data = _checked_section(data, source)
    with _left_to_the_report():  # said once, in the report
        # train first: the other splits may take its class names (_build_split)
        train = build_dataset(data, "train") if "train" in splits else None
        if train is None and _names_from_split(data):
            train = _train_for_names(data)
        datasets = {
            split: train
            if split == "train" and train is not None
            else _build_split(data, split, train)
            for split in dict.fromkeys(splits)
        }
    scans = {
        split: scan_split(dataset, split, data.get("root") or None, decode, progress)
        for split, dataset in datasets.items()
    }
    check_settings = settings or CheckSettings()
    check = check_scans(scans, data, check_settings, source)
    for split, dataset in datasets.items():
        check.findings += repeated_id_findings(split, dataset, check_settings.max_files)
        check.findings += mask_ground_truth_findings(split, dataset)
    check.findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return check


def repeated_id_findings(split: str, dataset: Any, max_files: int = 5) -> list[Finding]:
    """A warning for the ids a VOC split file (``voc``, ``voc_seg``) lists more than once: the
    reader reads each once, at its first line (``dataset.repeated_ids``, ``{id: its line
    numbers}``), so the repeats are no images of the split; the message is the reader's
    warning (:func:`~detseg.data.voc_split_files.repeated_ids_note`), the files each id with
    its lines (``a (lines 1 and 3)``; the first few of an id listed many times:
    :func:`~detseg.data.voc_split_files.line_numbers_text`), of the first ``max_files`` ids.
    ``[]`` for other datasets and for split files without repeats."""
    repeated = getattr(dataset, "repeated_ids", None)
    if not repeated:
        return []
    message = repeated_ids_note(dataset.split_file, repeated)
    files = [
        f"{name} (lines {line_numbers_text(lines)})"
        for name, lines in list(repeated.items())[:max_files]
    ]
    return [Finding("warning", "repeated_ids", split, message, len(repeated), files)]


def mask_ground_truth_findings(split: str, dataset: Any) -> list[Finding]:
    """The findings of a split of a dataset read with its masks (``load_masks``, the data of
    a mask model) about its ``segmentation`` entries.

    ``train``: a warning counting the instances without a ``segmentation``, whose masks are
    their filled boxes (:func:`~detseg.data.coco_masks.box_mask_message`, the warning training
    logs). An evaluated split (``val``, ``test``): an error when mask AP cannot score its
    ground truth (an annotation without a ``segmentation`` among others with one, a malformed
    one, an RLE of another size): training and ``tools/eval.py`` refuse it
    (:func:`~detseg.evaluation.coco_checks.check_segm_ground_truth`); the message is its one
    line, naming the annotation file and the first annotation id. A split where no annotation
    has a ``segmentation`` is a warning: training and ``tools/eval.py`` score its boxes alone
    (:func:`~detseg.evaluation.coco_checks.ground_truth_has_masks`)."""
    if not getattr(dataset, "load_masks", False):
        return []
    source = str(getattr(dataset, "ann_file", f"the {split} split"))
    if split == "train":
        count = getattr(dataset, "box_mask_count", None)
        without, total = count() if count is not None else (0, 0)
        if not without:
            return []
        message = box_mask_message(source, without, total)
        return [Finding("warning", "box_masks", split, message, without)]
    coco_gt = getattr(dataset, "coco_gt", None)
    if coco_gt is None:
        return []
    from detseg.evaluation.coco_checks import check_segm_ground_truth, lacks_all_masks

    gt = coco_gt()
    if lacks_all_masks(gt):
        message = (
            f"{source}: no annotation has a 'segmentation': mask AP is not computed for this "
            "split, training and evaluation score its boxes alone (add each instance's mask "
            "to the file for mask AP)"
        )
        return [Finding("warning", "segm_ground_truth", split, message, 1)]
    try:
        check_segm_ground_truth(gt, source)
    except ValueError as error:
        message = f"{error} (mask AP cannot score this split: training and evaluation refuse it)"
        return [Finding("error", "segm_ground_truth", split, message, 1)]
    return []


#: The splits a check knows (``test``: where the val split lies, ``val`` changed to ``test``).
SPLITS = ("train", "val", "test")


def _checked_splits(splits: Sequence[str]) -> list[str]:
    """``splits`` as a list of the names of :data:`SPLITS`.

    Raises:
        SettingError: one line naming the setting (``splits=...``; ``--splits`` by the tool):
            a string (it would be read letter by letter), no split, or an unknown name.
    """
    if isinstance(splits, str):
        raise SettingError(
            "{splits}: give a list of split names, e.g. " + literal(f"[{splits!r}]"),
            splits=splits,
        )
    names = list(splits)
    unknown = [name for name in names if name not in SPLITS]
    if not names or unknown:
        what = f"unknown split {literal(repr(unknown[0]))}" if unknown else "no split to check"
        raise SettingError(f"{{splits}}: {what}; give train, val and/or test", splits=names)
    return names


def _checked_section(data: dict[str, Any], source: str) -> dict[str, Any]:
    """``data`` checked as a training run checks a data section
    (:func:`~detseg.config.data_file.check_data_section`, which ``detseg-check-data`` ran on
    it already: it passes again unchanged), a ``Path`` value taken as its text; a new dict.

    Raises:
        ConfigError: a value training refuses, naming ``source`` (``"data"`` when empty).
        TypeError: ``data`` is no dict (:func:`~detseg.data.data_section_errors.check_section`).
    """
    check_section(data)
    texts = {key: os.fspath(v) if isinstance(v, os.PathLike) else v for key, v in data.items()}
    return check_data_section(texts, source or "data")


@contextlib.contextmanager
def _left_to_the_report() -> Iterator[None]:
    """The warnings of :data:`REPORTED_READER_LOGGERS` left out in this block: the report
    lists the same problems (a warning above the report would say each twice)."""

    def drop_warnings(record: logging.LogRecord) -> bool:
        return record.levelno != logging.WARNING

    loggers = [logging.getLogger(name) for name in REPORTED_READER_LOGGERS]
    for reader in loggers:  # first: a warning dropped here is not counted as said
        reader.filters.insert(0, drop_warnings)  # (detseg.data.said_once, installed by a run)
    try:
        yield
    finally:
        for reader in loggers:
            reader.removeFilter(drop_warnings)


def _names_from_split(data: dict[str, Any]) -> bool:
    """Whether the format reads the class names from a split's own files (VOC without
    ``classes``), so that training gives the val split the train split's names
    (:func:`~detseg.data.registry.with_known_classes` changes the section)."""
    return with_known_classes(data, []) is not data


def _train_for_names(data: dict[str, Any]) -> DetectionDataset | SegmentationDataset | None:
    """The train split, built only for its class names (not checked): ``None`` where it
    cannot be built (no such split), which leaves the other splits their own names."""
    try:
        return build_dataset(data, "train")
    except (OSError, ValueError):
        return None


def _build_split(
    data: dict[str, Any], split: str, train: DetectionDataset | SegmentationDataset | None
) -> DetectionDataset | SegmentationDataset:
    """The dataset of ``split`` (``"test"``: the val split of :func:`held_out_section`), with
    the class names of ``train`` (the train split, if it could be built) where the format
    would read them from the split's own files (:func:`_names_from_split`), as training builds
    its val split: a class missing from val keeps its label and is reported without objects
    there, and an object of a class train lacks is one training skips."""
    section = data
    if train is not None and _names_from_split(data):
        section = with_known_classes(data, list(train.classes))
    if split == "test":
        return build_dataset(held_out_section(section), "val")
    return build_dataset(section, split)

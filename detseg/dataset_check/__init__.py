"""Checking a dataset before training on it (``tools/check_data.py``).

The check reads every image of each split once (:mod:`~detseg.dataset_check.scan`), counts
what it found (:mod:`~detseg.dataset_check.stats`: class histograms, box sizes, bad boxes,
unreadable files, duplicates, overlap between splits), judges the counts
(:mod:`~detseg.dataset_check.findings`: errors stop a training run or make it meaningless,
warnings do not) and writes a text, JSON and HTML report (:mod:`~detseg.dataset_check.report`)::

    from detseg.dataset_check import check_dataset, load_data_section, write_reports

    data, _ = load_data_section("configs/demo.yaml", ["data.root=datasets/shapes"])
    check = check_dataset(data, splits=("train", "val"))
    write_reports(check, "runs/check_data/shapes")
    check.exit_code  # 1 when an error was found

:func:`~detseg.dataset_check.box_sizes.training_box_sizes` reads the boxes of the same sources
for ``tools/anchors.py``.
"""

from detseg.dataset_check.box_flags import classify_boxes
from detseg.dataset_check.check import DatasetCheck, check_dataset, check_scans
from detseg.dataset_check.finding_record import CheckSettings, Finding
from detseg.dataset_check.report import write_reports
from detseg.dataset_check.report_text import format_text_report
from detseg.dataset_check.scan import scan_split
from detseg.dataset_check.scan_records import ImageRecord, SplitScan
from detseg.dataset_check.source import default_out_dir, is_experiment_config, load_data_section

__all__ = [
    "CheckSettings",
    "DatasetCheck",
    "Finding",
    "ImageRecord",
    "SplitScan",
    "check_dataset",
    "check_scans",
    "classify_boxes",
    "default_out_dir",
    "format_text_report",
    "is_experiment_config",
    "load_data_section",
    "scan_split",
    "write_reports",
]

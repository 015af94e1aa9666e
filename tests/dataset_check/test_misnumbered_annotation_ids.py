"""check_data on COCO annotations whose ``id`` the evaluation cannot index them by (0, none, not
a positive integer, or an earlier annotation's): a warning naming them, before the evaluation
renumbers them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from detseg.data.coco_json import misnumbered_annotations
from detseg.dataset_check import check_dataset, format_text_report


def _edited_copy(shapes_root: Path, tmp_path: Path, edit) -> Path:
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    path = root / "annotations" / "instances_train.json"
    coco = json.loads(path.read_text())
    edit(coco["annotations"])
    path.write_text(json.dumps(coco))
    return root


def _repeat_an_id(annotations: list[dict]) -> None:
    annotations[1]["id"] = annotations[0]["id"]


def test_a_repeated_annotation_id_is_a_warning(shapes_root, tmp_path):
    root = _edited_copy(shapes_root, tmp_path, _repeat_an_id)
    check = check_dataset({"format": "coco", "root": str(root)}, splits=("train",), decode=False)
    (finding,) = [f for f in check.findings if f.code == "misnumbered_annotations"]
    assert (finding.severity, finding.split, finding.count) == ("warning", "train", 1)
    assert finding.message.startswith("1 annotation with an id of 0, no id, an id that is not")
    assert finding.files == ["annotations[1] (id 1)"]
    assert "misnumbered_annotations" in format_text_report(check)


def test_clean_file_has_none(shapes_root):
    check = check_dataset({"format": "coco", "root": str(shapes_root)}, splits=("train",))
    assert check.splits["train"]["misnumbered_annotations"] == 0
    assert not [f for f in check.findings if f.code == "misnumbered_annotations"]


def test_each_kind_is_named():
    annotations = [{"id": 3}, {"id": 0}, {}, {"id": 3}, {"id": [4]}, {"id": None}, {"id": [4]}]
    assert misnumbered_annotations(annotations) == [
        "annotations[1] (id 0)",
        "annotations[2] (id null)",
        "annotations[3] (id 3)",
        "annotations[4] (id [4])",
        "annotations[5] (id null)",
        "annotations[6] (id [4])",
    ]


def test_ids_the_evaluation_renumbers_are_named_alike():
    """The ids faster-coco-eval cannot match by (negative, past 2**63 - 1) and those that are
    no integer (a string, a bool, a fraction) are named, as the evaluation renumbers them; a
    whole float and a numpy integer are the integers they hold."""
    annotations = [{"id": -1}, {"id": 2**63}, {"id": "7"}, {"id": True}, {"id": 1.5}, {"id": 2.0}]
    annotations += [{"id": np.int64(5)}, {"id": 5}]
    assert misnumbered_annotations(annotations) == [
        "annotations[0] (id -1)",
        "annotations[1] (id 9223372036854775808)",
        'annotations[2] (id "7")',
        "annotations[3] (id true)",
        "annotations[4] (id 1.5)",
        "annotations[7] (id 5)",
    ]

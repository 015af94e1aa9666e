"""``tools/eval.py --gt --pred`` checks what the dataset readers check of a COCO ground truth,
where it matters for scoring a predictions file.

An image without a ``file_name`` is refused where images are found by name (``--images``,
records with a ``file_name``), as the readers refuse it, rather than looked for as a file named
``None``. Categories without a name or sharing one are scored with a warning (the per-class
tables name them by id, never ``None``). Predictions whose every category is unknown (a gt
without categories too) are refused rather than scored as AP 0; an empty predictions list is
scored with a warning."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest
from tool_in_process import run_tool_here
from two_image_ground_truth import GT

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

RECORDS = [  # a perfect detection of each ground-truth object
    {"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "score": 0.9},
    {"image_id": 2, "category_id": 2, "bbox": [4, 4, 20, 20], "score": 0.8},
]


def _files(folder: Path, gt: dict = GT, records: list = RECORDS) -> tuple[Path, Path]:
    gt_path, pred_path = folder / "gt.json", folder / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(records))
    return gt_path, pred_path


def _gt_with(change) -> dict:
    gt = copy.deepcopy(GT)
    change(gt)
    return gt


NULL_FILE_NAME = _gt_with(lambda gt: gt["images"][1].update(file_name=None))
NO_FILE_NAME = _gt_with(lambda gt: gt["images"][1].pop("file_name"))


@pytest.mark.parametrize(
    ("gt", "has"), [(NULL_FILE_NAME, "'file_name' null"), (NO_FILE_NAME, "no 'file_name'")]
)
def test_an_image_without_file_name_is_refused_where_images_are_read(tmp_path, gt, has):
    gt_path, pred = _files(tmp_path, gt)
    (tmp_path / "images").mkdir()
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt_path, pred, tmp_path / "out", images_dir=tmp_path / "images")
    assert str(caught.value) == (
        f"{gt_path}: images[1] (id 2) has {has}; it must be the image's path relative to the "
        "images folder, as a string"
    )
    assert not (tmp_path / "out").exists()


def test_an_image_without_file_name_is_refused_for_records_named_by_file(tmp_path):
    records = [{**RECORDS[0], "file_name": "/data/a.png"}]
    gt, pred = _files(tmp_path, NULL_FILE_NAME, records)
    with pytest.raises(ValueError, match=r"images\[1\] \(id 2\) has 'file_name' null"):
        evaluate_prediction_files(gt, pred, tmp_path / "out")


def test_an_image_without_file_name_scores_by_id(tmp_path):
    """Without --images and file-named records the file names are not read: scored by id."""
    gt, pred = _files(tmp_path, NULL_FILE_NAME)
    assert evaluate_prediction_files(gt, pred, tmp_path / "out").metrics["AP"] == 1.0


def test_the_cli_prints_one_line(tmp_path, capsys):
    gt, pred = _files(tmp_path, NULL_FILE_NAME)
    (tmp_path / "images").mkdir()
    args = ["--gt", gt, "--pred", pred, "--images", tmp_path / "images", "--out", tmp_path / "o"]
    code = run_tool_here("eval.py", *args)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"eval: error: {gt}: images[1] (id 2) has 'file_name' null; it must be the image's "
        "path relative to the images folder, as a string"
    )


@pytest.mark.parametrize(
    ("change", "names", "warning"),
    [
        (
            lambda gt: gt["categories"][1].update(name="cat"),
            ["cat (id 1)", "cat (id 2)"],
            "categories share a name ('cat': ids [1, 2]; tables add ' (id N)' to it)",
        ),
        (
            lambda gt: gt["categories"][1].update(name=None),
            ["cat", "2"],
            "categories [2] have no 'name' (tables name them by id)",
        ),
        (
            lambda gt: gt["categories"][1].pop("name"),
            ["cat", "2"],
            "categories [2] have no 'name' (tables name them by id)",
        ),
        (  # the tables strip names: one name, told apart by id, so one warning
            lambda gt: gt["categories"][1].update(name="cat "),
            ["cat (id 1)", "cat (id 2)"],
            "categories share a name ('cat': ids [1, 2] (written 'cat', 'cat '); tables add "
            "' (id N)' to it)",
        ),
        (
            lambda gt: gt["categories"][1].update(name="  "),
            ["cat", "2"],
            "categories [2] have no 'name' (tables name them by id)",
        ),
    ],
    ids=["shared", "null", "absent", "shared-once-stripped", "blank"],
)
def test_category_names_are_warned_about_and_told_apart(tmp_path, caplog, change, names, warning):
    gt, pred = _files(tmp_path, _gt_with(change))
    with caplog.at_level(logging.WARNING):
        summary = evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert f"{gt}: {warning}; give every category of its 'categories' list a distinct" in (
        caplog.text
    )
    assert list(summary.metrics["per_class"]) == names
    assert summary.metrics["AP"] == 1.0


def test_predictions_of_no_gt_category_are_refused(tmp_path):
    """Predictions of another dataset's category ids would score AP 0: refused instead."""
    records = [{**record, "category_id": record["category_id"] + 10} for record in RECORDS]
    gt, pred = _files(tmp_path, GT, records)
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert str(caught.value) == (
        f"{pred}: no detection has a category_id of the gt's categories (category_id 11, 12; "
        "the gt's ids are [1, 2]): give each record the gt's category id (are the ground truth "
        "and the predictions about the same categories?)"
    )
    gt, pred = _files(tmp_path, _gt_with(lambda gt: gt.update(categories=[])))
    with pytest.raises(ValueError, match=r"category_id 1, 2; the gt's ids are \[\]\)"):
        evaluate_prediction_files(gt, pred, tmp_path / "out")


def test_an_empty_predictions_list_is_scored_with_a_warning(tmp_path, caplog):
    gt, pred = _files(tmp_path, GT, [])
    with caplog.at_level(logging.WARNING):
        summary = evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert f"{pred} holds no detection: every AP and AR with ground truth is 0" in caplog.text
    assert summary.metrics["AP"] == 0.0


def test_no_detection_for_a_gt_without_objects_claims_no_zero(tmp_path, caplog):
    """Without ground-truth objects AP is n/a, not 0: the warning says no number."""
    gt, pred = _files(tmp_path, _gt_with(lambda gt: gt.update(annotations=[])), [])
    with caplog.at_level(logging.WARNING):
        evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert f"{pred} holds no detection\n" in caplog.text + "\n"
    assert "every AP and AR" not in caplog.text


def test_category_ids_are_listed_in_numeric_order(tmp_path):
    categories = [{"id": i, "name": f"c{i}"} for i in (2, 10, 1, 9)]
    gt, pred = _files(tmp_path, _gt_with(lambda gt: gt.update(categories=categories)))
    records = [{**RECORDS[0], "category_id": 30}]
    pred.write_text(json.dumps(records))
    with pytest.raises(ValueError, match=r"the gt's ids are \[1, 2, 9, 10\]\)"):
        evaluate_prediction_files(gt, pred, tmp_path / "out")

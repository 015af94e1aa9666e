"""A predictions record whose ``file_name`` is not a string (null, a number) is one line naming
the record, rather than matched as the text ``'None'`` and dropped (or, for every record, an
error about the file name ``'None'``)."""

from __future__ import annotations

import json

import pytest

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [{"id": 1, "file_name": "a.png", "height": 40, "width": 50}],
    "categories": [{"id": 1, "name": "box"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 3, 25, 22], "area": 550.0}
    ],
}


@pytest.mark.parametrize("file_name", [None, 5])
def test_a_file_name_that_is_no_string_is_named(tmp_path, file_name):
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    good = {"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [5, 3, 25, 22]}
    pred.write_text(
        json.dumps([{**good, "file_name": "x/a.png"}, {**good, "file_name": file_name}])
    )
    with pytest.raises(ValueError) as error:
        evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert str(error.value) == (
        f"{pred}: detection 1 has file_name {file_name!r}; expected the image's path as a "
        "string (or no 'file_name', to keep its image_id)"
    )

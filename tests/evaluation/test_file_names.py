"""match_file_names: predictions named by path take the id of the gt image with that file."""

import pytest

from detseg.evaluation.file_names import match_file_names

GT = {
    "images": [
        {"id": 7, "file_name": "000001.png"},
        {"id": 9, "file_name": "val/000002.png"},
        {"id": 11, "file_name": "train/000002.png"},
    ]
}


def _det(name: str, score: float = 0.9) -> dict:
    return {"file_name": name, "category_id": 1, "bbox": [0, 0, 4, 4], "score": score}


def test_trailing_path_match_gives_the_gt_id_and_drops_file_name():
    out = match_file_names(GT, [_det("runs/x/000001.png"), _det("/data/val/000002.png")])
    assert [d["image_id"] for d in out] == [7, 9]
    assert all("file_name" not in d for d in out)


def test_records_with_an_image_id_are_kept_unchanged():
    record = {"image_id": 3, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}
    out = match_file_names(GT, [record, _det("000001.png")])
    assert out[0] is record and out[1]["image_id"] == 7


def test_unknown_files_are_dropped_with_a_warning(caplog):
    out = match_file_names(GT, [_det("000001.png"), _det("elsewhere/999.png")])
    assert [d["image_id"] for d in out] == [7]
    assert "999.png" in caplog.text


def test_no_match_at_all_is_an_error_naming_a_file():
    with pytest.raises(ValueError, match="nothing.png"):
        match_file_names(GT, [_det("nothing.png")])


def test_a_shorter_gt_name_than_the_record_does_not_match():
    with pytest.raises(ValueError, match="000002.png"):
        match_file_names(GT, [_det("000002.png")])  # gt names hold a folder: val/, train/


def test_ambiguous_match_is_an_error_naming_both_ids():
    gt = {"images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "a.png"}]}
    with pytest.raises(ValueError, match="1 and 2"):
        match_file_names(gt, [_det("x/a.png")])

"""``predict_checkpoint`` (``tools/infer.py``) with ``--out`` the folder of its input images, run
twice: the second run reads the images, not the first run's drawings (``a_1.png``) or label
maps. The drawings written beside input images are listed in the folder's ``OUTPUTS_LIST``,
which ``expand_inputs`` reads: a folder scan or a pattern skips the files listed (one info line
counts them), a file named as it is is read. A list that cannot be read is named in one
warning and read as empty."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from detseg.image_inputs import OUTPUTS_LIST, expand_inputs
from detseg.predict_images import predict_checkpoint


def _photos(image_file: Path, folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(image_file, folder / name)
    return folder


def test_a_second_detector_run_into_the_images_folder_reads_the_images_only(
    detector_checkpoint, image_file, tmp_path, caplog
):
    photos = _photos(image_file, tmp_path / "photos", ["a.png", "b.jpg"])
    first = predict_checkpoint(detector_checkpoint, [str(photos)], photos, device="cpu")
    assert first.images == 2 and not first.failed
    assert json.loads((photos / OUTPUTS_LIST).read_text()) == ["a_1.png", "b_1.jpg"]
    with caplog.at_level(logging.INFO):
        second = predict_checkpoint(detector_checkpoint, [str(photos)], photos, device="cpu")
    assert second.images == 2 and not second.failed  # not 4: the drawings are no inputs
    records = json.loads((photos / "predictions.json").read_text())
    assert {r["file_name"] for r in records} <= {str(photos / "a.png"), str(photos / "b.jpg")}
    assert sorted(p.name for p in photos.iterdir()) == [
        OUTPUTS_LIST,
        "a.png",
        "a_1.png",  # drawn again under the same names, no a_1_1.png nor a_2.png
        "b.jpg",
        "b_1.jpg",
        "predictions.json",
    ]
    said = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert said == [
        "skipped 2 files that earlier runs drew beside their input images (listed in the "
        f"{OUTPUTS_LIST} of their folder)"
    ]


def test_a_second_segmenter_run_skips_the_overlays_and_label_maps(
    segmenter_checkpoint, image_file, tmp_path
):
    photos = _photos(image_file, tmp_path / "photos", ["a.png"])
    assert predict_checkpoint(segmenter_checkpoint, [str(photos)], photos, plain=True).images == 1
    assert json.loads((photos / OUTPUTS_LIST).read_text()) == ["a_1.png", "labels/a_1.png"]
    pattern = f"{photos}/**/*.png"  # finds labels/a_1.png too
    second = predict_checkpoint(segmenter_checkpoint, [pattern], photos, plain=True)
    assert second.images == 1 and not second.failed
    assert sorted(p.name for p in photos.iterdir() if p.is_file()) == [
        OUTPUTS_LIST,
        "a.png",
        "a_1.png",
    ]
    assert sorted(p.name for p in (photos / "labels").iterdir()) == ["a_1.png"]


def test_no_list_where_no_input_image_is_in_the_output_folder(
    detector_checkpoint, image_file, tmp_path
):
    photos = _photos(image_file, tmp_path / "photos", ["a.png"])
    out = tmp_path / "out"
    assert predict_checkpoint(detector_checkpoint, [str(photos)], out, device="cpu").images == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "predictions.json"]


def test_listed_files_named_as_files_are_read(tmp_path):
    photos = tmp_path / "photos"
    (photos / "labels").mkdir(parents=True)
    for name in ("a.png", "a_1.png", "labels/a_1.png", "c.png"):
        (photos / name).write_bytes(b"")
    (photos / OUTPUTS_LIST).write_text(json.dumps(["a_1.png", "labels/a_1.png", "gone.png"]))
    assert expand_inputs([str(photos)], out=photos)[0] == [photos / "a.png", photos / "c.png"]
    assert expand_inputs([f"{photos}/**/*.png"], out=photos)[0] == [
        photos / "a.png",
        photos / "c.png",
    ]
    named = [str(photos / "a_1.png")]
    assert expand_inputs(named, out=photos)[0] == [photos / "a_1.png"]
    # another output folder, or none: the list of the folder scanned is read all the same
    others = [photos / "a.png", photos / "c.png"]
    assert expand_inputs([str(photos)], out=tmp_path / "out")[0] == others
    assert expand_inputs([str(photos)])[0] == others
    assert expand_inputs([f"{photos}/*.png"])[0] == others


def test_a_damaged_list_is_named_once_and_read_as_empty(tmp_path, caplog):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.png", "a_1.png"):
        (photos / name).write_bytes(b"")
    (photos / OUTPUTS_LIST).write_text('{"a_1.png": 1}')
    with caplog.at_level(logging.WARNING, logger="detseg.image_inputs"):
        paths, missing = expand_inputs([str(photos), str(photos)], out=photos)
    assert paths == [photos / "a.png", photos / "a_1.png"] * 2 and missing == []
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot read {photos / OUTPUTS_LIST} (it is no JSON list of file names): the files "
        f"earlier runs wrote in {photos} are read as inputs where a folder or pattern finds "
        "them; the next run that writes images there replaces it"
    ]

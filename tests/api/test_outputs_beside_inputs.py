"""``predict_checkpoint`` (``tools/infer.py``) with ``--out`` the folder of its input images: the
drawings take other names, and no input image is written over (nor one named like it but for
the case of its suffix, one file on Windows and macOS, or a link to it)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from detseg.image_inputs import output_name
from detseg.predict_images import predict_checkpoint


def _copies(image_file: Path, folder: Path, names: list[str]) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(image_file, folder / name)
    return {name: (folder / name).read_bytes() for name in names}


def test_drawings_written_into_the_images_folder_keep_the_images(
    detector_checkpoint, image_file, tmp_path
):
    photos = tmp_path / "photos"
    before = _copies(image_file, photos, ["a.png", "IMG_1.JPG"])
    run = predict_checkpoint(detector_checkpoint, [str(photos)], photos, device="cpu")
    assert run.images == 2 and not run.failed
    assert {name: (photos / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in photos.iterdir()) == [
        ".detseg-outputs.json",  # the drawings, which a run reading photos/ then skips
        "IMG_1.JPG",
        "IMG_1_1.jpg",
        "a.png",
        "a_1.png",
        "predictions.json",
    ]
    records = json.loads((photos / "predictions.json").read_text())
    assert {r["file_name"] for r in records} == {str(photos / name) for name in before}


def test_an_image_of_the_output_folder_is_read_before_a_namesake_is_drawn(
    detector_checkpoint, image_file, tmp_path
):
    other, out = tmp_path / "other", tmp_path / "out"
    _copies(image_file, other, ["a.png"])
    before = _copies(image_file, out, ["a.png"])
    run = predict_checkpoint(detector_checkpoint, [str(other), str(out)], out, device="cpu")
    assert run.images == 2 and not run.failed
    assert (out / "a.png").read_bytes() == before["a.png"]
    assert {"a_1.png", "a_2.png"} <= {p.name for p in out.iterdir()}


def test_an_image_linked_into_the_output_folder_is_not_written_over(
    detector_checkpoint, image_file, tmp_path
):
    source, out = tmp_path / "cards" / "c.png", tmp_path / "out"
    before = _copies(image_file, source.parent, ["c.png"])
    out.mkdir()
    os.link(source, out / "c.png")
    run = predict_checkpoint(detector_checkpoint, [str(source)], out, device="cpu")
    assert run.images == 1 and not run.failed
    assert source.read_bytes() == before["c.png"] and (out / "c_1.png").is_file()


def test_segmentation_overlays_written_into_the_images_folder_keep_the_images(
    segmenter_checkpoint, image_file, tmp_path
):
    photos = tmp_path / "photos"
    before = _copies(image_file, photos, ["b.png"])
    run = predict_checkpoint(segmenter_checkpoint, [str(photos)], photos, plain=True)
    assert run.images == 1 and not run.failed
    assert (photos / "b.png").read_bytes() == before["b.png"]
    assert (photos / "b_1.png").is_file() and (photos / "labels" / "b_1.png").is_file()


def test_output_names_differing_in_case_only_are_made_unique():
    used: set[str] = set()
    names = [output_name(Path(p), used) for p in ("a/X.png", "b/x.PNG", "c/x.png")]
    assert names == ["X.png", "x_1.png", "x_2.png"]

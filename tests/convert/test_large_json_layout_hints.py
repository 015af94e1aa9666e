"""The layout hint of a COCO source tells a large COCO json from another json by the file's
head: a 20 MB json is not read whole (a 450 MB ``instances_train2017.json`` would take
seconds and gigabytes), and a large json that is no COCO json is still left out."""

from __future__ import annotations

import json
import pathlib
from pathlib import Path

import pytest

from detseg.convert.datasets.layout_hints import no_splits_hint

#: The size of each large json written here.
LARGE = 20_000_000


def _write_large(path: Path, head: dict, big_key: str, item: dict, tail: dict) -> Path:
    """``{**head, big_key: [item, item, ...], **tail}`` of about :data:`LARGE` bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    one = json.dumps(item)
    body = ", ".join([one] * (LARGE // (len(one) + 2)))
    text = json.dumps({**head, big_key: "BIG", **tail}).replace('"BIG"', f"[{body}]")
    json.loads(text)  # a whole, valid json
    path.write_text(text)
    assert path.stat().st_size > LARGE * 0.9
    return path


@pytest.fixture
def bytes_read(monkeypatch) -> dict[Path, int]:
    """The bytes read from each file opened with ``Path.open`` while the test runs."""
    counts: dict[Path, int] = {}
    real_open = pathlib.Path.open

    class Counted:
        def __init__(self, file, path):
            self.file, self.path = file, path

        def read(self, size=-1):
            data = self.file.read(size)
            counts[self.path] = counts.get(self.path, 0) + len(data)
            return data

        def __getattr__(self, name):
            return getattr(self.file, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

    def counted_open(path, *args, **kwargs):
        return Counted(real_open(path, *args, **kwargs), Path(path))

    monkeypatch.setattr(pathlib.Path, "open", counted_open)
    return counts


def test_a_large_coco_json_is_named_from_its_head(tmp_path, bytes_read):
    root = tmp_path / "export"
    (root / "images" / "train").mkdir(parents=True)
    ann = _write_large(
        root / "annotations" / "train.json",
        {"info": {"year": 2017}, "licenses": [{"id": 1}], "images": [{"id": 1, "file_name": "a"}]},
        "annotations",
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1.5, 2.5, 30.0, 40.0], "area": 1200},
        {"categories": [{"id": 1, "name": "cat"}]},
    )
    hint = no_splits_hint("coco", root)
    assert "train_images: images/train, train_ann: annotations/train.json" in hint
    assert bytes_read[ann] <= LARGE // 10  # the head, not the file


def test_a_large_coco_json_with_its_images_first(tmp_path, bytes_read):
    """COCO's own order: info, licenses, then the images list running past the head."""
    root = tmp_path / "coco"
    ann = _write_large(
        root / "annotations" / "val.json",
        {"info": {}, "licenses": []},
        "images",
        {"id": 1, "file_name": "000000000139.jpg", "width": 640, "height": 426},
        {"annotations": [], "categories": []},
    )
    assert "val_ann: annotations/val.json" in no_splits_hint("coco", root)
    assert bytes_read[ann] <= LARGE // 10


@pytest.mark.parametrize(
    ("head", "big_key"),
    [
        ({"version": "5.0", "flags": {}, "shapes": []}, "imageData"),  # LabelMe-like
        ({"name": "shapes"}, "splits"),  # a README-like json with one big list
        ({"info": {}, "images": "images/"}, "data"),  # 'images' that is no list
    ],
    ids=["labelme", "other_list", "images_not_a_list"],
)
def test_a_large_json_that_is_no_coco_json_is_left_out(tmp_path, head, big_key, bytes_read):
    root = tmp_path / "other"
    (root / "images" / "train").mkdir(parents=True)
    other = _write_large(root / "train.json", head, big_key, {"x": 1}, {})
    hint = no_splits_hint("coco", root)
    assert "train.json" not in hint and hint.startswith("for another layout ")
    assert bytes_read[other] <= LARGE // 10


def test_a_large_json_list_is_left_out(tmp_path):
    """A results file (a list of detections) is no COCO dataset json."""
    root = tmp_path / "results"
    root.mkdir()
    row = json.dumps({"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5})
    (root / "dets.json").write_text("[" + ", ".join([row] * (LARGE // len(row))) + "]")
    assert no_splits_hint("coco", root).startswith("for another layout ")


def test_a_small_broken_json_is_left_out_and_a_small_coco_json_named(tmp_path):
    root = tmp_path / "small"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "broken.json").write_text('{"images": [')
    (root / "b" / "val.json").write_text('{"images": [], "annotations": [], "categories": []}')
    hint = no_splits_hint("coco", root)
    assert "b/val.json" in hint and "broken.json" not in hint

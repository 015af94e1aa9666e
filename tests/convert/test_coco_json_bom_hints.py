"""A COCO json that starts with a UTF-8 byte-order mark (as some Windows tools write it) is named
by the layout hints of a COCO source, small (read whole) or large (read by its head), as the
COCO reader reads it (``detseg.data.json_files.read_json`` allows the mark)."""

from __future__ import annotations

import codecs
import json

import pytest

from detseg.convert.datasets.layout_hints import no_splits_hint
from detseg.data.json_files import read_json

#: Bytes of the large json: more than the head the hints read of a json (1 MiB).
LARGE = 3_000_000


def _coco_text(size: int) -> str:
    """A COCO json of at least ``size`` characters (its images list makes up the size)."""
    image = json.dumps({"id": 1, "file_name": "000000000139.jpg", "width": 640, "height": 426})
    images = ", ".join([image] * max(1, size // (len(image) + 2)))
    lists = f'"images": [{images}], "annotations": [], "categories": []'
    return f'{{"info": {{}}, "licenses": [], {lists}}}'


@pytest.mark.parametrize("size", [0, LARGE], ids=["small", "large"])
def test_a_coco_json_with_a_byte_order_mark_is_named(tmp_path, size):
    root = tmp_path / "export"
    (root / "images" / "train").mkdir(parents=True)
    ann = root / "annotations" / "train.json"
    ann.parent.mkdir()
    ann.write_bytes(codecs.BOM_UTF8 + _coco_text(size).encode("utf-8"))
    assert (ann.stat().st_size > 1 << 20) == (size == LARGE)
    assert isinstance(read_json(ann), dict)  # the reader takes it
    hint = no_splits_hint("coco", root)
    assert "train_images: images/train, train_ann: annotations/train.json" in hint

"""A split named twice in ``--splits`` is converted once (not written twice, with duplicated
VOC ids and image files)."""

from __future__ import annotations

from detseg.convert.datasets import convert_dataset


def test_a_split_named_twice_is_converted_once(shapes_coco, tmp_path):
    convert_dataset(shapes_coco, tmp_path / "once", "coco", "voc", ["val"], progress=False)
    twice = convert_dataset(
        shapes_coco, tmp_path / "twice", "coco", "voc", ["val", "val"], progress=False
    )
    assert [s.name for s in twice.splits] == ["val"]
    ids = (tmp_path / "twice" / "ImageSets" / "Main" / "val.txt").read_text().split()
    assert ids == (tmp_path / "once" / "ImageSets" / "Main" / "val.txt").read_text().split()
    assert len(ids) == len(set(ids)) == 3

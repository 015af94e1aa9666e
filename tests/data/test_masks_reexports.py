"""``detseg.data.masks`` gives the four segmentation layouts its docstring lists, each the class
of its own module (the readers were cut into topic modules; the old import path still holds)."""

from __future__ import annotations

from detseg.data import coco_seg, masks, voc_seg


def test_the_four_layouts_import_from_masks():
    assert masks.CocoSegmentation is coco_seg.CocoSegmentation
    assert masks.VOCSegmentation is voc_seg.VOCSegmentation
    for name in ("FolderSegmentation", "ShapesSegmentation", "CocoSegmentation", "VOCSegmentation"):
        assert name in masks.__all__ and f":class:`{name}`" in (masks.__doc__ or "")

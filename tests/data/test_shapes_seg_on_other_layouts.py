"""``format: shapes_seg`` pointed at one's own folders (a shapes config given ``data.root``
alone) names the layout the folder has and the format to set, instead of a missing COCO
annotation file."""

from __future__ import annotations

import pytest

from detseg.data.masks import ShapesSegmentation


@pytest.mark.parametrize(
    ("folders", "fmt"),
    [(("images", "masks"), "folder_seg"), (("JPEGImages", "SegmentationClass"), "voc_seg")],
)
def test_another_segmentation_layout_is_named(tmp_path, folders, fmt):
    for name in folders:
        (tmp_path / name).mkdir()
    with pytest.raises(FileNotFoundError) as caught:
        ShapesSegmentation(tmp_path, "train")
    message = str(caught.value)
    assert message.startswith("data.format shapes_seg reads the class names from ")
    assert f"has the {fmt} layout: set data.format={fmt}" in message
    assert f"(or train with --data datasets/{fmt})" in message  # a packaged data file's name


def test_a_folder_of_no_known_layout_says_how_the_shapes_are_made(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"no annotations/ folder .*make_shapes\.py"
    ) as caught:
        ShapesSegmentation(tmp_path, "train")
    assert "detseg-make-shapes --out <root> (tools/make_shapes.py)" in str(caught.value)

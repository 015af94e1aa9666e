"""A source box with ``x2 <= x1`` (a VOC ``xmin`` above its ``xmax``) is skipped as such.

It was reported as having "no area inside the image", which sends the user looking for a box
outside the image rather than for two swapped corners.
"""

from __future__ import annotations

import logging

from detseg.convert.datasets.records import checked_box


def test_swapped_corners_are_named_as_such(caplog):
    with caplog.at_level(logging.WARNING):
        assert checked_box((194.0, 111.0, 149.0, 158.0), 256, 256, "a.png") is None
        assert checked_box((10.0, 30.0, 20.0, 30.0), 256, 256, "b.png") is None
    assert [r.getMessage() for r in caplog.records] == [
        "a.png: box [194.0, 111.0, 149.0, 158.0] has x2 <= x1 or y2 <= y1 (xyxy px; corners "
        "swapped?); object skipped",
        "b.png: box [10.0, 30.0, 20.0, 30.0] has x2 <= x1 or y2 <= y1 (xyxy px; corners "
        "swapped?); object skipped",
    ]


def test_a_box_outside_the_image_keeps_its_message(caplog):
    with caplog.at_level(logging.WARNING):
        assert checked_box((300.0, 10.0, 320.0, 20.0), 256, 256, "c.png") is None
        assert checked_box((-5.0, 10.0, 20.0, 20.0), 256, 256, "d.png") == (0.0, 10.0, 20.0, 20.0)
    [message] = [r.getMessage() for r in caplog.records]
    assert (
        message == "c.png: box [300.0, 10.0, 320.0, 20.0] has no area inside the 256x256 image; "
        "object skipped"
    )

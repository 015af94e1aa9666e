"""A label map saved as colours (an RGB export of a labelling tool, a VOC label map saved as
RGB) is refused in one line that names the colours found and says to map each colour to its
class index: converting the file to a palette image would give palette indices, not classes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.label_maps import read_label_map

VOC_COLOURS = np.array([[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]], np.uint8)


def test_colour_map_names_its_colours_and_the_fix(tmp_path):
    labels = np.array([[0, 1, 2], [3, 1, 0]], np.uint8)
    Image.fromarray(VOC_COLOURS[labels], mode="RGB").save(tmp_path / "m.png")
    with pytest.raises(ValueError) as info:
        read_label_map(tmp_path / "m.png")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "m.png") in message
    assert "4 colours, (0, 0, 0), (0, 128, 0), (128, 0, 0), (128, 128, 0);" in message
    assert "map each colour to its class index" in message
    assert "save them with a palette" not in message


def test_many_colours_are_counted_not_all_listed(tmp_path):
    rgb = np.zeros((1, 9, 3), np.uint8)
    rgb[0, :, 0] = np.arange(9) * 20
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "m.png")
    with pytest.raises(ValueError, match=r"of 9 colours, .* and 3 more; a label map holds"):
        read_label_map(tmp_path / "m.png")

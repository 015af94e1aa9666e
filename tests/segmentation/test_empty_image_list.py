"""A segmenter called on an empty list of images says so, as the detectors do."""

from __future__ import annotations

import pytest

from detseg.segmentation.model import check_images


def test_empty_image_list_is_named_in_the_message():
    with pytest.raises(ValueError, match="images is empty"):
        check_images([])

"""``predict`` on many image files (a list, a glob pattern) decodes them a batch at a time: at
most ``batch_size`` decoded images are alive at once, the results are those of images read
up-front, and a missing file is still refused before any image is decoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from same_results import assert_same_results

from detseg.api.inputs import as_images
from detseg.data.image_io import ImageNotFoundError, ImageReadError

FILES = 10
BATCH = 2


@pytest.fixture(scope="module")
def photos(tmp_path_factory, photo_writer) -> list[Path]:
    """Ten 48 x 64 PNGs, each with a rectangle of its own colour and place."""
    return photo_writer(tmp_path_factory.mktemp("photos"), FILES, 48, 64)


@pytest.mark.parametrize("given", ["list", "pattern"])
def test_files_are_decoded_a_batch_at_a_time(predictor, photos, reader, given):
    eager_images, _ = as_images(photos)  # every file decoded up-front
    eager = list(predictor.predict_images(eager_images, batch_size=BATCH))
    del eager_images
    reader.__init__()  # count predict's reads only

    x = photos if given == "list" else str(photos[0].parent / "*.png")
    results = predictor.predict(x, batch_size=BATCH)

    assert reader.reads == FILES
    assert reader.most_alive <= BATCH
    assert reader.alive == 0  # the results keep uint8 images, not the decoded tensors
    assert len(results) == FILES
    for result, expected in zip(results, eager, strict=True):
        assert result.image.dtype == np.uint8
        assert_same_results(result, expected)


def test_a_missing_file_is_refused_before_any_image_is_decoded(predictor, photos, reader):
    missing = photos[0].parent / "p09.pgn"  # a typo in the last path
    with pytest.raises(ImageNotFoundError, match=r"^item 9 of the 10 inputs: cannot read image"):
        predictor.predict([*photos[:9], missing], batch_size=BATCH)
    assert reader.reads == 0


def test_a_file_that_cannot_be_decoded_is_named_when_its_batch_comes(
    predictor, photos, reader, tmp_path
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ImageReadError, match=r"^item 6 of the 10 inputs: cannot read image"):
        predictor.predict([*photos[:6], broken, *photos[7:]], batch_size=BATCH)
    assert reader.reads == 6  # the three batches before it

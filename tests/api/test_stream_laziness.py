"""``Predictor.stream`` over images is lazy and memory-bounded: a generator is read one batch
ahead at most (the first result comes before it ends), at most one batch of decoded images is
alive at a time, and a result the loop does not keep is freed once the next one comes."""

from __future__ import annotations

import gc
import itertools
import weakref
from pathlib import Path

import numpy as np
import pytest

import detseg
from detseg.api import Predictor
from detseg.api import inputs as api_inputs

FILES = 7


@pytest.fixture(scope="module")
def photos(tmp_path_factory, photo_writer) -> list[Path]:
    return photo_writer(tmp_path_factory.mktemp("stream_photos"), FILES, 40, 56)


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


@pytest.mark.parametrize("batch_size", [1, 3])
def test_a_generator_is_read_one_batch_ahead_at_most(detector, photos, batch_size):
    pulled = []

    def images():
        for path in photos:
            pulled.append(path)
            yield path

    stream = detector.stream(images(), batch_size=batch_size)
    assert pulled == []  # nothing read before the first result is asked for
    first = next(stream)
    assert first.path == photos[0]
    assert len(pulled) == batch_size < FILES
    rest = list(stream)
    assert [r.path for r in rest] == photos[1:] and len(pulled) == FILES


@pytest.mark.parametrize("batch_size", [1, 3])
def test_at_most_one_batch_of_decoded_images_is_alive(detector, photos, reader, batch_size):
    folder = photos[0].parent
    for source in (folder, iter(photos)):
        reader.__init__()
        for _ in detector.stream(source, batch_size=batch_size):
            assert reader.alive <= batch_size
        assert reader.reads == FILES
        assert reader.most_alive <= batch_size  # also while the next image is decoded
        assert reader.alive == 0  # results keep uint8 images, not the decoded tensors


@pytest.mark.parametrize("batch_size", [1, 3])
def test_a_result_not_kept_is_freed_after_the_next_one(detector, photos, batch_size):
    stream = detector.stream(photos, batch_size=batch_size)
    result = next(stream)
    image, boxes = weakref.ref(result.image), weakref.ref(result.boxes)
    del result
    next(stream)
    gc.collect()
    assert image() is None and boxes() is None


def test_arrays_of_a_generator_are_converted_as_their_batch_comes(detector, monkeypatch):
    converted = []
    original = api_inputs.from_array

    def counting(array, bgr, where):
        converted.append(where)
        return original(array, bgr, where)

    monkeypatch.setattr(api_inputs, "from_array", counting)
    frames = (np.full((32, 32, 3), i * 20, np.uint8) for i in itertools.count())  # endless
    results = list(detector.stream(frames, batch_size=2, max_frames=3))
    assert len(results) == 3
    assert len(converted) == 3  # the endless generator was read to the third image only

"""The switches ``bgr`` and ``mask_probabilities`` are ``True`` or ``False`` (a string ``"no"``
counted as true and kept the probabilities), and ``predict_images`` takes ``InputImage`` items
only: a path or an array there is one ``TypeError`` saying what to give (it was an
``AttributeError`` from inside the batch loop)."""

from __future__ import annotations

import numpy as np
import pytest

import detseg
from detseg.api import as_images

IMAGE = np.zeros((16, 16, 3), np.uint8)


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    return detseg.load(detector_checkpoint, "cpu")


@pytest.mark.parametrize("value", ["no", None, 1, np.array([True])])
@pytest.mark.parametrize("name", ["bgr", "mask_probabilities"])
def test_a_switch_that_is_not_true_or_false_is_refused(detector, name, value):
    message = rf"{name} must be True or False, got .* \({type(value).__name__}\)"
    with pytest.raises(ValueError, match=message):
        detector.predict(IMAGE, **{name: value})
    with pytest.raises(ValueError, match=message):
        detector.stream([IMAGE], **{name: value})  # at the call, before any image


def test_mask_probabilities_is_checked_by_predict_images(detector):
    with pytest.raises(ValueError, match="mask_probabilities must be True or False"):
        detector.predict_images([], mask_probabilities="no")


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_true_false_and_numpy_bools_are_switches(detector, value):
    result = detector.predict(IMAGE, bgr=value, mask_probabilities=value)
    assert result.image.shape == IMAGE.shape


@pytest.mark.parametrize("items", [[IMAGE], ["photo.png"], (IMAGE,)])
def test_predict_images_refuses_items_that_are_not_input_images(detector, items):
    kind = type(items[0]).__name__
    with pytest.raises(
        TypeError, match=rf"item 0 of predict_images is a {kind}, not an InputImage"
    ):
        list(detector.predict_images(items))


@pytest.mark.parametrize("images", [None, "photo.png", 3])
def test_predict_images_refuses_what_is_no_iterable_of_images_at_the_call(detector, images):
    with pytest.raises(TypeError, match="predict_images takes an iterable of InputImage"):
        detector.predict_images(images)


def test_predict_images_takes_the_input_images_of_as_images(detector):
    images, _ = as_images([IMAGE, IMAGE])
    results = list(detector.predict_images(iter(images)))
    assert len(results) == 2 and results[0].image.shape == IMAGE.shape

"""The checks of what ``predict``, ``predict_images`` and ``stream`` are asked for, made before any
image is read: a score threshold in ``[0, 1]``, and classes given by name or label turned into
the model's labels ``1..K``; and the items of ``predict_images``, each an
:class:`~detseg.api.inputs.InputImage`. (``plain_number``, a number held in a 0-d tensor or
numpy array, is :func:`detseg.argument_checks.plain_number`, the rule of every library function.)

They are apart from :class:`~detseg.api.predictor.Predictor` because they are about arguments
only: each refusal names the argument and says what to give, a ``ValueError``; a ``TypeError``
for ``predict_images`` given no iterable of ``InputImage`` (an item is checked when it is
reached).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from detseg.api.inputs import InputImage
from detseg.argument_checks import plain_number, score_threshold_problem
from detseg.brief_values import brief
from detseg.config.suggest import did_you_mean

__all__ = ["check_score_thr", "input_images", "labels_of_classes", "plain_number", "short_list"]

#: How :func:`input_images` says what to give instead.
_GIVE_IMAGES = (
    "give InputImage items (detseg.api.as_images(x)[0] makes them), or pass paths, arrays, "
    "PIL images and tensors to predict() or stream()"
)


def labels_of_classes(
    classes: Sequence[str | int] | None, names: Sequence[str], task: str, model_name: str
) -> frozenset[int] | None:
    """The labels ``1..K`` of ``classes``, given by name or label (an int, or its digits
    as text where no class has that name) in a list, tuple, set or range, or as a 1-D numpy
    array or tensor of labels; ``None`` (every class) for ``None``. ``names`` are
    the model's class names, ``task`` and ``model_name`` what the messages say of it
    (:meth:`Predictor.labels_of <detseg.api.predictor.Predictor.labels_of>`).

    Raises:
        ValueError: a name the model does not have (with the closest one), a label outside
            ``1..K``, an empty list, a single string (give a list), or classes given to a
            segmenter (which labels every pixel).
    """
    if classes is None:
        return None
    if task == "segmentation":
        raise ValueError(
            f"classes are for detectors; this {model_name} segmenter labels "
            "every pixel: leave classes out (result.mask == label picks a class's pixels)"
        )
    items = _class_items(classes)
    if not items:
        raise ValueError(
            f"classes must be a non-empty list of class names or labels, got {classes!r}"
        )
    labels = set()
    for item in items:
        if isinstance(item, str) and item not in names and item.isdigit():
            item = int(item)  # a label written as text (the command line's --classes 2)
        if isinstance(item, str):
            if item not in names:
                raise ValueError(
                    f"unknown class {item!r} (the model's classes: "
                    f"{short_list(names)}){did_you_mean(item, names)}"
                )
            labels.add(names.index(item) + 1)
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
            label = int(item)
            if not 1 <= label <= len(names):
                raise ValueError(
                    f"class label {label} is outside 1..{len(names)} (the model has "
                    f"{len(names)} classes; label k is classes[k - 1])"
                )
            labels.add(label)
        else:
            raise ValueError(f"a class is a name or a label 1..K, got {item!r}")
    return frozenset(labels)


def _class_items(classes: Any) -> list[Any]:
    """The items of ``classes`` as a list: a list or tuple, and as users have labels at hand, a
    set, a ``range``, a numpy array or a tensor of labels (``np.array([1, 3])``,
    ``torch.tensor([1, 3])``: their items made Python ints); ``[]`` for a single string or
    name (give a list) or anything else, which the caller refuses."""
    if isinstance(classes, (np.ndarray, torch.Tensor)):
        return classes.tolist() if classes.ndim == 1 else []
    if isinstance(classes, (Sequence, set, frozenset)) and not isinstance(classes, (str, bytes)):
        return list(classes)
    return []


def short_list(names: Sequence[str], head: int = 3, most: int = 8) -> str:
    """``names`` as a list literal, or its first ``head`` and its last past ``most`` names:
    ``['person', 'bicycle', 'car', ..., 'toothbrush']``."""
    if len(names) <= most:
        return repr(list(names))
    shown = [repr(name) for name in names[:head]]
    return f"[{', '.join(shown)}, ..., {names[-1]!r}]"


def check_score_thr(score_thr: Any, task: str = "detection", model_name: str = "") -> float | None:
    """The score threshold as a Python ``float`` (``None`` stays ``None``): a number, or one
    held in a 0-d tensor or numpy array (:func:`~detseg.argument_checks.plain_number`).

    Refuses one that is not a number (a string, a bool, a tensor of several numbers, told to
    give one), or outside ``[0, 1]`` (or NaN), in the words of ``--score-thr``'s refusal
    (:func:`~detseg.argument_checks.score_threshold_problem`, saying ``or None``); or any one
    given for a segmenter (``task``, the ``model_name`` the message says), which keeps every
    pixel's class: the threshold would be ignored. A segmenter's refusal comes first, whatever
    the value (the range of a value to leave out is no help)."""
    score_thr = plain_number(score_thr)
    number = isinstance(score_thr, numbers.Real) and not isinstance(score_thr, bool)
    if score_thr is not None and task == "segmentation":
        given = f"{score_thr:g}" if number else repr(score_thr)
        raise ValueError(
            f"score_thr={given} is for detectors; this {model_name} segmenter keeps "
            "every pixel's class: leave score_thr out (result.probabilities holds each pixel's "
            "class probabilities)"
        )
    problem = score_threshold_problem(score_thr, "score_thr", or_none=True)
    if problem:
        raise ValueError(problem)
    return None if score_thr is None else float(score_thr)


def input_images(images: Any) -> Iterator[InputImage]:
    """The items of ``images`` (``Predictor.predict_images``), each checked to be an
    :class:`~detseg.api.inputs.InputImage` as it is reached (an iterator is read lazily).

    Raises:
        TypeError: here, ``images`` is no iterable, or is a path or a string (one image:
            ``predict`` takes it); when the item is reached, an item of another type (a path,
            an array ...), naming its position.
    """
    if isinstance(images, (str, bytes, os.PathLike)) or not isinstance(images, Iterable):
        raise TypeError(
            f"predict_images takes an iterable of InputImage, got {brief(images, 80)}; "
            f"{_GIVE_IMAGES}"
        )
    return _checked_items(images)


def _checked_items(images: Iterable[Any]) -> Iterator[InputImage]:
    """The items of ``images``, refusing one that is no :class:`InputImage`."""
    for position, item in enumerate(images):
        if not isinstance(item, InputImage):
            raise TypeError(
                f"item {position} of predict_images is a {type(item).__name__}, not an "
                f"InputImage; {_GIVE_IMAGES}"
            )
        yield item

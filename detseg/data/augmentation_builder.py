"""Albumentations transforms from config lists, for the pipelines of both tasks.

A config names augmentations as a list of dicts (``{name: HorizontalFlip, p: 0.5}``; a
composer such as ``OneOf`` takes a nested ``transforms`` list). :func:`build_transforms` turns
the list into albumentations transforms, one ``ValueError`` per mistake naming the item's place
(``augmentations[0].OneOf[1]``): an unknown name (with the close ones), an argument the
transform does not take, a bad value, a transform refused in any detseg pipeline
(:data:`REFUSED_AUGMENTATIONS`) or one that needs more than a sample (:data:`SAMPLE_KEYS`).
The detection pipeline (:mod:`detseg.data.transforms`) and the segmentation one
(:mod:`detseg.data.seg_transforms`) put the transforms in a ``Compose`` of their own; both
seed it with :func:`seed_augmentations` and refuse a pipeline of one's own that holds a
refused transform (:func:`check_refused_transforms`).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from detseg.config.suggest import did_you_mean
from detseg.data.albumentations_import import A, BaseCompose

__all__ = [
    "LABEL_FIELDS",
    "REFUSED_AUGMENTATIONS",
    "SAMPLE_KEYS",
    "available_augmentations",
    "build_transforms",
    "check_refused_transforms",
    "seed_augmentations",
    "transforms_preorder",
]

#: The label fields a detection sample passes with its boxes: the class of each box, and its
#: place in the sample (which boxes a transform kept).
LABEL_FIELDS = ("labels", "instance_index")

#: Transforms a detseg pipeline refuses: the model normalises the ``[0, 1]`` image itself, and
#: the loader makes the tensor; these would normalise twice, rescale or transpose the image.
REFUSED_AUGMENTATIONS = {
    "Normalize": "the model normalises its input itself; Normalize here would normalise twice",
    "ToTensorV2": "the dataset makes the tensor itself; ToTensorV2 would transpose the image",
    "FromFloat": "images are float32 in [0, 1]; FromFloat would scale them to [0, 255]",
}


#: What :func:`~detseg.data.transforms.apply_augmentations` and
#: :func:`~detseg.data.seg_transforms.apply_segmentation_augmentations` may pass a pipeline with
#: each sample; a transform that needs another entry (other images to mix in) cannot run here.
SAMPLE_KEYS = frozenset({"image", "bboxes", "mask", "masks", *LABEL_FIELDS})


@functools.cache
def available_augmentations() -> tuple[str, ...]:
    """Names accepted by :func:`build_transforms` (albumentations transforms and composers).

    Left out: the library's base classes and its 3-D volume transforms, which transform no
    image (their ``apply`` is the base class's).
    """
    names = []
    for name in dir(A):
        obj = getattr(A, name)
        if inspect.isclass(obj) and issubclass(obj, (A.BasicTransform, A.BaseCompose)):
            if not name.startswith("_") and not inspect.isabstract(obj) and _transforms_images(obj):
                names.append(name)
    return tuple(sorted(names))


def _transforms_images(cls: type) -> bool:
    """Whether albumentations class ``cls`` is a composer or a transform with its own
    ``apply`` (an image transform), not a base class or a 3-D volume transform."""
    return not issubclass(cls, A.BasicTransform) or getattr(cls, "apply", None) is not (
        A.BasicTransform.apply
    )


def _check_kwargs(
    where: str, name: str, cls: type[A.BasicTransform | A.BaseCompose], kwargs: dict[str, Any]
) -> None:
    """Reject keyword arguments that ``cls`` does not take (albumentations only warns)."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    valid = [p for p in params if p != "self"]
    for key in kwargs:
        if key not in params:
            hint = did_you_mean(key, valid, cutoff=0.3)  # arguments as short as "p"
            raise ValueError(
                f"{where} ({name}): unknown argument {key!r}{hint} (valid: {', '.join(valid)})"
            )


def _build_one(item: dict[str, Any], where: str) -> A.BasicTransform | A.BaseCompose:
    """Build one transform (recursing into ``transforms`` of a composer such as ``OneOf``)."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise ValueError(
            f"{where}: each augmentation must be a dict with a 'name' (an albumentations class "
            f"such as HorizontalFlip), got {item!r}"
        )
    kwargs = dict(item)
    name = kwargs.pop("name")
    names = available_augmentations()
    if name not in names:
        if inspect.isclass(getattr(A, name, None)) and not _transforms_images(getattr(A, name)):
            raise ValueError(
                f"{where}: augmentation {name!r} transforms no 2-D image (a base class or a 3-D "
                "volume transform); use an image transform"
            )
        hint = did_you_mean(name, names) or "; see albumentations' transform list"
        raise ValueError(f"{where}: unknown augmentation {name!r}{hint}")
    if name in REFUSED_AUGMENTATIONS:
        raise ValueError(
            f"{where}: augmentation {name!r} is not allowed: {REFUSED_AUGMENTATIONS[name]}"
        )
    cls = getattr(A, name)
    if "transforms" in kwargs:
        inner = kwargs.pop("transforms")
        if not isinstance(inner, list):
            raise ValueError(f"{where} ({name}): 'transforms' must be a list of augmentation dicts")
        kwargs["transforms"] = [
            _build_one(sub, f"{where}.{name}[{i}]") for i, sub in enumerate(inner)
        ]
    _check_kwargs(where, name, cls, kwargs)
    try:
        transform = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} ({name}): {_one_line(exc)}") from exc
    needed = sorted(set(getattr(transform, "targets_as_params", None) or ()) - SAMPLE_KEYS)
    if needed:
        raise ValueError(
            f"{where}: augmentation {name!r} needs {', '.join(map(repr, needed))} with every "
            "sample (other images to mix in), which detseg's datasets do not pass; leave it out"
        )
    return transform


def _one_line(exc: Exception) -> str:
    """The argument errors of a transform's constructor on one line, each naming its key
    (the library's validation message spans lines and ends in a link)."""
    source: BaseException | None = exc
    while source is not None and not callable(getattr(source, "errors", None)):
        source = source.__cause__ or source.__context__  # the library re-raises the schema's
    errors = getattr(source, "errors", None)
    if not callable(errors):
        return "bad arguments: " + " ".join(str(exc).split())
    parts = []
    for error in errors():
        loc = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        key = loc[0] if loc else "arguments"
        if error.get("type") == "missing":
            parts.append(f"missing argument {key!r}")
            continue
        text = f"bad value for {key!r}: {error.get('msg', '')}"
        if "input" in error and error.get("type") != "value_error":
            text += f" (got {error['input']!r})"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts) or " ".join(str(exc).split())


def build_transforms(spec: list[dict[str, Any]]) -> list[A.BasicTransform | A.BaseCompose]:
    """The transforms of a config list, for a pipeline of either task.

    The checks of :func:`~detseg.data.transforms.build_augmentations` less the detection-only
    ones (:data:`~detseg.data.transforms.DETECTION_UNUSABLE`);
    :func:`~detseg.data.seg_transforms.build_segmentation_augmentations` puts them in a
    pipeline without box handling.

    Raises:
        ValueError: As :func:`~detseg.data.transforms.build_augmentations`, naming the item.
    """
    if not isinstance(spec, list):
        raise ValueError(f"augmentations must be a list of dicts, got {type(spec).__name__}")
    return [_build_one(item, f"augmentations[{i}]") for i, item in enumerate(spec)]


def check_refused_transforms(pipeline: BaseCompose) -> None:
    """Refuse a pipeline holding one of :data:`REFUSED_AUGMENTATIONS` (nested ones included).

    Raises:
        ValueError: Naming the first such transform and why it is refused.
    """
    for transform in transforms_preorder(pipeline):
        name = type(transform).__name__
        if name in REFUSED_AUGMENTATIONS:
            raise ValueError(f"the augmentation pipeline has {name}: {REFUSED_AUGMENTATIONS[name]}")


def seed_augmentations(pipeline: BaseCompose, seed: int) -> None:
    """Seed ``pipeline`` and give each of its transforms its own stream derived from ``seed``.

    ``Compose(seed=s)`` and ``Compose.set_random_seed(s)`` hand the *same* seed to every
    transform, so the first draws of e.g. ``HorizontalFlip(p=0.5)`` and
    ``RandomBrightnessContrast(p=0.5)`` would be equal (brightness changed <=> flipped). Each
    transform (nested ones included, in pre-order) gets a seed derived from
    ``(seed, position)`` instead. Deterministic: the same seed gives the same streams.
    """
    pipeline.set_random_seed(int(seed))
    for position, transform in enumerate(transforms_preorder(pipeline)):
        derived = np.random.SeedSequence([int(seed), position]).generate_state(1)[0]
        transform.set_random_seed(int(derived))


def transforms_preorder(compose: BaseCompose) -> list[Any]:
    """Every transform inside an albumentations compose, depth first (children after parent)."""
    found = []
    for transform in compose.transforms:
        found.append(transform)
        if isinstance(transform, BaseCompose):
            found.extend(transforms_preorder(transform))
    return found

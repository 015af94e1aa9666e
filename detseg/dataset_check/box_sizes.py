"""The box sizes that anchor priors are fitted to, from what a user has: a COCO json, an
experiment config or a data file (``tools/anchors.py``).

It reads a config or data file as :mod:`detseg.dataset_check` does
(:func:`~detseg.dataset_check.source.load_data_section`), then hands the boxes to the k-means
of :mod:`detseg.data.anchor_kmeans`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import Tensor

from detseg.config import load_config, resolve_config_path
from detseg.config.bases import compose
from detseg.data.anchor_kmeans import coco_box_sizes, dataset_box_sizes
from detseg.data.json_files import check_text_file
from detseg.data.registry import DATASETS, SEG_DATASETS, build_dataset
from detseg.dataset_check.source import is_experiment_config, load_data_section
from detseg.detection.yolo import YOLO_MODELS
from detseg.named_settings import NameOnly, SettingError, literal
from detseg.progress_bars import progress_bar
from detseg.shell_words import shell_word


def _check_text_source(source: str | os.PathLike) -> None:
    """Refuse a source file that is no text (an image given by mistake), naming what it is."""
    if Path(source).is_file():
        check_text_file(
            source,
            expected="JSON or YAML",
            fix="give a COCO .json file, an experiment config or a data file",
        )


def _yolo_settings(
    source: str | os.PathLike, overrides: Sequence[str] = ()
) -> dict[str, Any] | None:
    """The builder arguments (defaults filled in) of the YOLO model of an experiment config,
    ``--set`` ``overrides`` applied; ``None`` for a COCO json, a data file, a config without a
    model, or a config of another model."""
    if Path(source).suffix.lower() == ".json":
        return None
    path = resolve_config_path(source, what="config or data file")
    if not path.is_file():
        return None
    _check_text_source(path)
    if not is_experiment_config(path) or "model" not in compose(path):
        return None
    model = load_config(path, list(overrides)).model
    if model.name not in YOLO_MODELS:
        return None
    parameters = inspect.signature(YOLO_MODELS[model.name]).parameters
    defaults = {name: p.default for name, p in parameters.items() if p.default is not p.empty}
    return {**defaults, **model.kwargs}


def config_input_size(source: str | os.PathLike, overrides: Sequence[str] = ()) -> int | None:
    """Side of the square input of the YOLO model of an experiment config, or ``None``.

    The priors of a YOLO model are in pixels of its ``input_size x input_size`` input (the
    image is resized to it, aspect ratio not kept), so the boxes are scaled to that size.

    Args:
        source: what :func:`training_box_sizes` takes.
        overrides: ``--set`` strings applied to an experiment config.

    Returns:
        The config's ``model.input_size``, or its builder's default (416 for YOLOv3, 448 for
        YOLOv1); ``None`` for a COCO json, a data file, or a config of another model.

    Raises:
        ConfigError: a config that is not valid.
    """
    settings = _yolo_settings(source, overrides)
    if settings is None:
        return None
    size = settings.get("input_size")
    if size is None:  # the plain builder: its default depends on the version
        size = 448 if settings.get("version") == "v1" else 416
    return int(size)


def config_prior_levels(source: str | os.PathLike, overrides: Sequence[str] = ()) -> int | None:
    """Number of levels of the YOLOv3 model of an experiment config (``--set`` ``overrides``
    applied; one group of priors each, finest first), or ``None`` (not a YOLOv3 config).

    Raises:
        ConfigError: a config that is not valid.
    """
    settings = _yolo_settings(source, overrides)
    if settings is None or settings.get("version", "v3") != "v3":
        return None
    return len(settings.get("return_layers") or ("c3", "c4", "c5"))


def training_box_sizes(
    source: str | os.PathLike,
    input_size: int,
    overrides: Sequence[str] = (),
    progress: bool | None = None,
) -> Tensor:
    """Box sizes of a COCO json, or of the training split of a config's or data file's dataset.

    Args:
        source: a ``.json`` COCO detection file (:func:`coco_box_sizes`), or a YAML file
            naming a dataset (:func:`dataset_box_sizes` over its ``train`` split, read as
            stored, without augmentations): an experiment config (its ``data`` section), a
            detseg data file or an Ultralytics data yaml
            (:func:`detseg.dataset_check.load_data_section`).
        input_size: side of the square network input, in pixels.
        overrides: ``--set`` strings for a YAML source (``"data.root=/data/x"``; any config
            key for an experiment config, ``data.*`` keys for a data file); a COCO json takes
            none.
        progress: A tqdm bar on stderr over the images of a YAML source's training split (each
            is read): ``None`` shows it only when stderr is a terminal, ``True`` always,
            ``False`` never.

    Returns:
        ``Float64[N, 2]`` ``(width, height)`` in input pixels.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: ``source`` is not a text file (an image given by mistake), not JSON, or
            names a segmentation dataset (no boxes); ``overrides`` given with a COCO json (a
            :class:`~detseg.named_settings.SettingError`: ``overrides=[...]`` from Python,
            ``--set`` from a tool).
        ConfigError: a config or data file that is not valid.
    """
    if Path(source).suffix.lower() == ".json":
        if overrides:
            raise SettingError(
                "{overrides}: "
                f"{literal(source)} is a COCO json, which has no config keys; drop "
                "{advised_overrides}, or give an experiment config or a data file",
                overrides=NameOnly(
                    f"overrides={list(overrides)!r}",
                    " ".join(shell_word(item) for item in overrides),
                ),
                advised_overrides=NameOnly("overrides"),
            )
        return coco_box_sizes(source, input_size)
    _check_text_source(source)
    section, _ = load_data_section(Path(source), overrides)
    fmt = section.get("format")
    if fmt in SEG_DATASETS:
        raise ValueError(
            f"{source}: data.format {fmt} is a semantic segmentation format, which has no boxes; "
            f"priors are computed from the boxes of a detection dataset ({', '.join(DATASETS)})"
        )
    dataset = build_dataset(section, "train")
    samples = (dataset[i] for i in range(len(dataset)))
    bar = progress_bar(
        samples, desc="read train", total=len(dataset), unit="img", progress=progress
    )
    with bar:
        return dataset_box_sizes(bar, input_size)

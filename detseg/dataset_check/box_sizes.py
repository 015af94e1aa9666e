"""The box sizes that anchor priors are fitted to, from what a user has: a COCO json, an
experiment config or a data file (``tools/anchors.py``).

It reads a config or data file as :mod:`detseg.dataset_check` does
(:func:`~detseg.dataset_check.source.load_data_section`), then hands the boxes to the k-means
of :mod:`detseg.data.anchor_kmeans`.
"""

from __future__ import annotations

import os
from pathlib import Path

from torch import Tensor

from detseg.data.anchor_kmeans import coco_box_sizes, dataset_box_sizes
from detseg.data.json_files import check_text_file
from detseg.data.registry import DATASETS, SEG_DATASETS, build_dataset
from detseg.dataset_check.source import load_data_section


def training_box_sizes(source: str | os.PathLike, input_size: int) -> Tensor:
    """Box sizes of a COCO json, or of the training split of a config's or data file's dataset.

    Args:
        source: a ``.json`` COCO detection file (:func:`coco_box_sizes`), or a YAML file
            naming a dataset (:func:`dataset_box_sizes` over its ``train`` split, read as
            stored, without augmentations): an experiment config (its ``data`` section), a
            detseg data file or an Ultralytics data yaml
            (:func:`detseg.dataset_check.load_data_section`).
        input_size: side of the square network input, in pixels.

    Returns:
        ``Float64[N, 2]`` ``(width, height)`` in input pixels.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: ``source`` is not a text file (an image given by mistake), not JSON, or
            names a segmentation dataset (no boxes).
        ConfigError: a config or data file that is not valid.
    """
    if Path(source).suffix.lower() == ".json":
        return coco_box_sizes(source, input_size)
    if Path(source).is_file():
        check_text_file(
            source,
            expected="JSON or YAML",
            fix="give a COCO .json file, an experiment config or a data file",
        )
    section, _ = load_data_section(Path(source))
    fmt = section.get("format")
    if fmt in SEG_DATASETS:
        raise ValueError(
            f"{source}: data.format {fmt} is a semantic segmentation format, which has no boxes; "
            f"priors are computed from the boxes of a detection dataset ({', '.join(DATASETS)})"
        )
    dataset = build_dataset(section, "train")
    return dataset_box_sizes((dataset[i] for i in range(len(dataset))), input_size)

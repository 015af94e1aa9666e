"""Experiment configuration: YAML files validated into dataclasses.

A config file has five sections (``model``, ``data``, ``train``, ``eval``) plus
the top-level keys ``device``, ``seed`` and ``work_dir``. Every key is checked
against the dataclasses below: an unknown key raises :class:`ConfigError` naming
the file, the key path and the closest valid key.

Inheritance is one level deep: ``_base_: ../_base_/x.yaml`` loads that file
first and merges this file over it (nested dicts are merged key by key, lists
and scalars are replaced). A base file may not have a ``_base_`` of its own.

Overrides from the command line (``--set train.lr=0.01``) are parsed according
to the type of the field they set, e.g. ``train.max_iters=null`` gives ``None``
and ``train.milestones=[8,11]`` a list of ints.

The ``model`` section is ``name`` plus the keyword arguments of the builder
``detseg.models.MODELS[name]``; a nested section of it (Faster R-CNN's ``rpn``, a
segmenter's ``loss`` and ``input``) is a dict that the builder turns into a settings
dataclass with :func:`detseg.config.sections.dataclass_from_dict`. The ``data`` section
is ``format``, ``root`` and ``augmentations`` plus the format's own keys (annotation
paths, splits), which are handed to ``detseg.data.build_dataset`` unchanged.
"""

from detseg.config.loading import BASE_KEY, config_from_dict, load_config
from detseg.config.schema import (
    Config,
    ConfigError,
    DataConfig,
    EvalConfig,
    ModelConfig,
    TrainConfig,
)

__all__ = [
    "BASE_KEY",
    "Config",
    "ConfigError",
    "DataConfig",
    "EvalConfig",
    "ModelConfig",
    "TrainConfig",
    "config_from_dict",
    "load_config",
]

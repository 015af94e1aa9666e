"""Experiment configuration: YAML files validated into dataclasses.

A config file has four sections (``model``, ``data``, ``train``, ``eval``) plus
the top-level keys ``device``, ``seed`` and ``work_dir``. Every key is checked
against the dataclasses below: an unknown key raises :class:`ConfigError` naming
the file, the key path and the closest valid key.

Inheritance: ``_base_`` names a file or a list of files (relative to the file
that names them), loaded first; this file is merged over them (nested dicts are
merged key by key, lists and scalars are replaced; a list of bases merges in
order, later wins). A section written empty or null (``eval:`` alone, ``train: null``)
changes nothing: the base's values stay. Bases may have bases of their own, to any depth; a cycle is
an error showing the chain. A key written twice in one YAML mapping is an error too
(PyYAML alone keeps the last one). See :mod:`detseg.config.bases`.

Switching formats: a file or ``--set data.format=X`` that sets another data
format than the section it lands on replaces that section (only
``augmentations`` is kept), so the new format starts from its own defaults and
one config serves COCO, VOC and YOLO data. ``--set data.format`` is applied
before the other overrides. See :mod:`detseg.config.data_section`.

Data files: :func:`load_data_file` reads a dataset description (a ``data:``
mapping, the keys of a data section, or an Ultralytics data yaml) that
``load_config(path, data_file=...)`` (``tools/train.py --data``) puts in place of
the config's data section, keeping its ``augmentations`` unless the data file
has its own. ``configs/datasets/`` holds some. See :mod:`detseg.config.data_file`.

Packaged configs: the files of ``configs/`` come with the installed package, so a config is
named from any folder without a path (``load_config("demo")``,
``"faster_rcnn/faster_rcnn_r50_fpn_coco"``); a file that exists comes first, and
:func:`packaged_configs` lists them. See :mod:`detseg.config.packaged`.

Overrides from the command line (``--set train.lr=0.01``) are parsed according
to the type of the field they set, e.g. ``train.max_iters=null`` gives ``None``,
``train.milestones=[8,11]`` a list of ints and ``work_dir=2024`` the string ``"2024"`` (a
string field keeps the text; ``null``, ``none`` or ``~`` set an optional one to ``None``).
A data format key is typed by the formats' defaults (``data.val_split=2007`` stays a name,
``data.load_masks=yes`` is true); a model builder argument or ``data.classes`` is read as YAML
for lists, mappings, numbers, ``true``/``false`` and null, but a word or name that YAML 1.1
would turn into another type (``yes``, ``off``, ``010``, ``2024-01-01``) stays text (a bool
argument takes ``yes``/``no`` too). A key with an empty part (``train..lr``) is an error.
From Python, ``load_config`` also takes them as a mapping of dotted keys to values
(``{"train.epochs": 1}``), checked the same way.

The ``model`` section is ``name`` plus the keyword arguments of the builder
``detseg.models.MODELS[name]``, and the run keys ``init_from`` and ``compile``
(:func:`builder_section` leaves them out for ``build_model``); a nested section of it
(Faster R-CNN's ``rpn``, a segmenter's ``loss`` and ``input``) is a dict that the builder
turns into a settings dataclass with :func:`detseg.config.sections.dataclass_from_dict`.
Every model key is checked when the config loads, by name and by the type annotation (and
the :class:`Range` bounds) of the builder's parameter or the dataclass's field, and
``model.backbone`` / ``model.width_mult`` against ``detseg.backbones`` (see
:mod:`detseg.config.model_section`).
The ``data`` section is ``format``, ``root`` and ``augmentations`` plus the format's own
keys (annotation paths, splits), which are handed to ``detseg.data.build_dataset``
unchanged.
"""

from detseg.config.bases import BASE_KEY
from detseg.config.checks import Range
from detseg.config.data_file import load_data_file
from detseg.config.loading import as_config, config_from_dict, load_config
from detseg.config.packaged import PackagedConfig, packaged_configs, resolve_config_path
from detseg.config.schema import (
    Config,
    ConfigError,
    DataConfig,
    EvalConfig,
    ModelConfig,
    TrainConfig,
    builder_section,
)

__all__ = [
    "BASE_KEY",
    "Config",
    "ConfigError",
    "DataConfig",
    "EvalConfig",
    "ModelConfig",
    "PackagedConfig",
    "Range",
    "as_config",
    "TrainConfig",
    "builder_section",
    "config_from_dict",
    "load_config",
    "load_data_file",
    "packaged_configs",
    "resolve_config_path",
]

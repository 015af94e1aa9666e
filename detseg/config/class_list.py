"""The class names a config or data file lists, checked where the file is still known; and the
class list a run recorded, read back with the names it trained with.

``data.classes`` given as a list (in a config, a detseg data file, or an Ultralytics data yaml's
``names``) is read by the dataset readers only when the dataset is built, and by then the file
that wrote it is gone: ``data.classes: class name 5 is empty`` would leave the user to guess
which of the config, the ``_base_`` files and the ``--data`` file to fix. :func:`check_class_list`
refuses an empty name and two names that are one after stripping (as the readers strip them,
:func:`detseg.data.class_names.class_name`) at load time, naming the file.

A checkpoint's config is no user's list but the record of what a run trained with: readers that
took a null entry as ``str(None)`` trained a class named ``"None"`` there (the checkpoint's
``classes`` say so). :func:`recorded_config` gives such a record that name back, so that the
checkpoint loads (``detseg.load``, ``tools/eval.py``, ``tools/export.py``, ``--resume``) where
the same null in a user's config is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from detseg.config.schema import ConfigError
from detseg.named_settings import literal

__all__ = ["RECORDED_NULL_CLASS", "check_class_list", "recorded_classes", "recorded_config"]

#: The class name a null entry of a recorded class list stands for (``str(None)``, as the readers
#: that trained with it named the class).
RECORDED_NULL_CLASS = "None"


def check_class_list(value: Any, source: str, what: str = "data.classes") -> None:
    """Refuse a ``value`` that is no list of class names, a file name or null, and a list
    with no name, an empty name or a repeated one.

    Args:
        value: The ``data.classes`` value: a list of names, a file of names (a string: a
            ``classes.txt`` or a data yaml with ``names``; ``voc`` for the VOC classes) or
            ``None``; a string or ``None`` passes (a file is read when the dataset is built), a
            tuple (from Python) is checked as a list.
        source: The file (or ``--set``) named at the start of the error.
        what: How the file calls the list (``data.classes``, an Ultralytics ``names``).

    Raises:
        ConfigError: ``<source>: data.classes must be a list of class names, ...; got 5`` (a
            number, a bool, a mapping: the readers could not use it; of an Ultralytics
            ``{0: circle}`` mapping, ``...; write the names in index order: [circle]``), ``<source>:
            data.classes lists no class names``, ``<source>: data.classes: class name 5 is
            empty`` (positions from 1), or the two positions of names that are equal after
            stripping, both as written.
    """
    from detseg.data.class_names import class_name  # config imports data/ inside functions

    if value is None or isinstance(value, str):
        return
    if not isinstance(value, list | tuple):  # a tuple: from a Python caller
        raise ConfigError(
            f"{source}: {what} must be a list of class names ([cat, dog]) or a file of names "
            f"(classes.txt, or a data yaml with 'names'), got {literal(f'{value!r:.80}')}"
            f"{_index_order_advice(value)}"
        )
    if not value:
        raise ConfigError(
            f"{source}: {what} lists no class names: write the names ([cat, dog]) or name a file "
            "of names"
        )
    names = [class_name(item) for item in value]
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if not name:
            raise ConfigError(
                f"{source}: {what}: class name {k + 1} is empty; write the name of label {k + 1} "
                "there, or remove the entry"
            )
        if name in seen:
            j = seen[name]
            raise ConfigError(
                f"{source}: {what}: class names {j + 1} ({value[j]!r}) and {k + 1} "
                f"({value[k]!r}) are the same name; class names must be unique"
            )
        seen[name] = k


#: How many names the advice for an ``{index: name}`` mapping writes out
#: (:func:`_index_order_advice`).
_LISTED_NAMES = 20


def _index_order_advice(value: Any) -> str:
    """``"; write the names in index order: [circle, square]"`` for an ``{index: name}``
    mapping of names whose keys are 0..n-1 (an Ultralytics data yaml's ``names``, copied into
    a detseg file), a YAML flow list to paste (the first :data:`_LISTED_NAMES` names and
    ``...`` for a longer one); ``""`` for any other value."""
    if not isinstance(value, Mapping) or not value:
        return ""
    if not all(isinstance(key, int) and not isinstance(key, bool) for key in value):
        return ""
    if not all(isinstance(name, str) for name in value.values()):
        return ""
    if sorted(value) != list(range(len(value))):
        return ""
    names = [value[index] for index in range(len(value))]
    shown = yaml.safe_dump(names[:_LISTED_NAMES], default_flow_style=True, width=1 << 20)
    listed = shown.strip()
    if len(names) > _LISTED_NAMES:
        listed = f"{listed[:-1]}, ...] ({len(names)} names)"
    return f"; write the names in index order: {literal(listed)}"


def recorded_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config``, the config dict a checkpoint recorded, with each null entry of its
    ``data.classes`` list as the class :data:`RECORDED_NULL_CLASS` it trained as.

    Every reader of a checkpoint gets it so (``load_checkpoint``): the config then passes
    :func:`check_class_list` and builds the dataset with the names the model's labels have.
    ``config`` itself is not changed; one without a null class comes back as it is.
    """
    data = config.get("data")
    if not isinstance(data, dict):
        return config
    classes = data.get("classes")
    if not isinstance(classes, list) or not any(name is None for name in classes):
        return config
    named = [RECORDED_NULL_CLASS if name is None else name for name in classes]
    return {**config, "data": {**data, "classes": named}}


def recorded_classes(classes: Any) -> Any:
    """The ``classes`` list a checkpoint recorded, each name as the dataset readers give it:
    stripped of surrounding spaces (a checkpoint written by a reader that kept a COCO json's
    ``" cat "`` as it was is compared with data that names it ``cat``, on resume and in an
    evaluation). Anything but a list of strings comes back as it is, for the checkpoint's
    own checks to refuse."""
    if not isinstance(classes, list) or not all(isinstance(name, str) for name in classes):
        return classes
    return [name.strip() for name in classes]

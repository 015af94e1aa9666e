"""The class names a config or data file lists, checked where the file is still known.

``data.classes`` given as a list (in a config, a detseg data file, or an Ultralytics data yaml's
``names``) is read by the dataset readers only when the dataset is built, and by then the file
that wrote it is gone: ``data.classes: class name 5 is empty`` would leave the user to guess
which of the config, the ``_base_`` files and the ``--data`` file to fix. :func:`check_class_list`
refuses an empty name and two names that are one after stripping (as the readers strip them)
at load time, naming the file.
"""

from __future__ import annotations

from typing import Any

from detseg.config.schema import ConfigError

__all__ = ["check_class_list", "class_name"]


def class_name(value: Any) -> str:
    """One listed class name as the readers take it: stripped; an empty YAML entry (``null``,
    a list item ``-`` with nothing after it) is ``""``, not a class named ``"None"``."""
    return "" if value is None else str(value).strip()


def check_class_list(value: Any, source: str, what: str = "data.classes") -> None:
    """Refuse a listed ``value`` of class names with an empty name or a repeated one.

    Args:
        value: The ``data.classes`` value; anything but a list (a file name, ``None``) passes.
        source: The file (or ``--set``) named at the start of the error.
        what: How the file calls the list (``data.classes``, an Ultralytics ``names``).

    Raises:
        ConfigError: ``<source>: data.classes: class name 5 is empty`` (positions from 1), or
            the two positions of names that are equal after stripping, both as written.
    """
    if not isinstance(value, list):
        return
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

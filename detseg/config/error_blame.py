"""Errors blamed on where the wrong value came from: a ``--set`` item or a ``_base_`` file.

A check names the config it validates (the experiment file); when the wrong value was written
by an override (``--set train.epochs=two``) or by a ``_base_`` file, :func:`blame_override` and
:func:`blame_base` put that source in the message instead, found by the key the message names.
The checks write an override as the tools' ``--set`` item; :func:`overrides_named` makes the
error name it as the caller gave it, once the error leaves the config loading: the
``overrides`` keyword from Python, the flag from a tool (a
:class:`~detseg.named_settings.SettingError` field). Separate from
:mod:`detseg.config.loading`: this only rewrites messages, it checks nothing.
"""

from __future__ import annotations

import re
from typing import Any

from detseg.config.schema import ConfigError
from detseg.named_settings import NameOnly
from detseg.shell_words import shell_word

#: How the checks name an override item in their messages: as the tools' flag writes it.
SET_FLAG = "--set"

#: The keyword of the overrides an error advises (``--set model.fpn=null`` from a tool,
#: ``'model.fpn=null' added to overrides`` from Python): a tool's flag table maps it to
#: ``--set``, as it maps ``overrides`` (``detseg.command_line.TOOL_FLAGS``).
ADVISED_OVERRIDES = "advised_overrides"


def added_overrides(items: list[str]) -> NameOnly:
    """The value of an :data:`ADVISED_OVERRIDES` field that advises more items: a tool's
    ``--set`` words (each one word of the user's shell, :func:`~detseg.shell_words.shell_word`),
    or named as more items of a Python caller's ``overrides``."""
    listed = ", ".join(repr(item) for item in items)
    return NameOnly(f"{listed} added to overrides", " ".join(shell_word(item) for item in items))


def rewritten_override(item: str) -> NameOnly:
    """The value of an :data:`ADVISED_OVERRIDES` field that advises to write an item as
    ``item``: one word of the user's shell after a tool's ``--set``, quoted as the ``--set``
    item the message names is (``--set 'model.rpn={a: 1}'``,
    :func:`~detseg.shell_words.shell_word`), the item itself from Python
    (``'model.rpn={a: 1}'``)."""
    return NameOnly(repr(item), shell_word(item))


def blame_override(err: ConfigError, source: str, items: list[tuple[str, Any, str]]) -> ConfigError:
    """``err`` naming the override that set its key (``--set train.epochs=two: ...``) instead
    of the file, whose value it is not; ``err`` itself when no override set that key."""
    rest = _after_source(str(err), source)
    if rest is None:
        return err
    named = _named_part(rest)
    # The key the message names first (an advice may name another: 'use data.format=coco'),
    # or a key inside it (an override of a section sets its keys), or an item of it; of the
    # overrides of one key, the last, which wins.
    found = [
        (at, -index, where)
        for index, (key_path, _, where) in enumerate(items)
        if (at := _names_key(named, key_path)) is not None
    ]
    return ConfigError(f"{min(found)[2]}{rest}") if found else err


def overrides_named(err: ConfigError, overrides: Any) -> ConfigError:
    """``err`` naming the override item it names first (``--set train.epochs=two``, also as
    ``--set 'train.epochs'`` where the item has no ``=``) as the caller gave it: a
    ``{overrides}`` field, written ``overrides=['train.epochs=two']`` by ``str(error)`` and
    ``--set train.epochs=two`` by ``error.naming({"overrides": "--set"})`` (the tools' wording,
    the item one word of the user's shell: ``--set 'train.epochs=two three'``, see
    :func:`~detseg.shell_words.shell_word`). ``err`` itself when it names no item of
    ``overrides`` (a list of ``"key=value"`` strings; a mapping's items are named ``override
    'key'``, as a Python caller gave them) or names its ``overrides`` already; its other
    settings stay (:data:`ADVISED_OVERRIDES`)."""
    if "overrides" in err.settings or not isinstance(overrides, list | tuple):
        return err
    template = err.template
    found = []
    for item in overrides:
        if not isinstance(item, str):
            continue
        for written in (item, repr(item)):
            pattern = re.escape(f"{SET_FLAG} {written}") + r"(?=[:;,)\s]|$)"
            match = re.search(pattern, template)
            if match is not None:
                found.append((match.start(), -len(written), pattern, item, written))
    if not found:
        return err
    _, _, pattern, item, written = min(found)
    named = NameOnly(f"overrides=[{item!r}]", shell_word(item))  # one word of the shell
    return ConfigError(re.sub(pattern, "{overrides}", template), **err.settings, overrides=named)


def blame_base(err: ConfigError, source: str, origins: dict[str, str]) -> ConfigError:
    """``err`` naming the ``_base_`` file that wrote the wrong value, when it is not the top
    file ``source``: the key the message names first (the longest of those at one place), as
    written in ``origins`` (dotted key path -> file, from :func:`compose`)."""
    rest = _after_source(err.template, source)
    if rest is None:
        return err
    named = _named_part(rest)
    origins = _with_sections(origins)
    found = [(at, -len(key), key) for key in origins if (at := _names_key(named, key)) is not None]
    if not found:
        return err
    origin = origins[min(found)[2]]
    return err if origin == source else ConfigError(f"{origin}{rest}", **err.settings)


def _with_sections(origins: dict[str, str]) -> dict[str, str]:
    """``origins`` plus each nested section (``model.rpn``, not a top-level one) that only its
    keys name (``model.rpn.nms_thresh``), as written by the file of its first key: an error
    about the whole section (another model's ``rpn``) names the file that wrote it."""
    full = dict(origins)
    for path, file in origins.items():
        parts = path.split(".")
        for depth in range(2, len(parts)):
            full.setdefault(".".join(parts[:depth]), file)
    return full


def _after_source(message: str, source: str) -> str | None:
    """What follows ``source`` at the start of ``message`` (``": unknown key ..."``, or
    ``" (data.format=coco): ..."``); ``None`` when the message does not start with it."""
    rest = message.removeprefix(source)
    return rest if rest != message and rest[:2] in {": ", " ("} else None


def _named_part(rest: str) -> str:
    """The part of an error message (after its source) that names the wrong key: without the
    context in parentheses before the colon (``(data.format=coco): ...``) and without a "did you
    mean" hint, which names a valid key, not the wrong one: a typo in the file
    ('model.min_sise') must not be blamed on a correct --set of the key it suggests."""
    return _SUGGESTION.sub("", rest.partition(": ")[2])


def _names_key(message: str, key_path: str) -> int | None:
    """Where ``message`` names ``key_path``, or a key inside it or an item of it
    (``train.milestones[1]``), as a whole dotted name; ``None`` when it does not."""
    found = re.search(rf"(?<![\w.]){re.escape(key_path)}(?![\w])", message)
    return None if found is None else found.start()


#: The hint of :func:`detseg.config.suggest.did_you_mean` in an error message.
_SUGGESTION = re.compile(r"; did you mean '[^']*'\?")

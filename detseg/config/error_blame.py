"""Errors blamed on where the wrong value came from: a ``--set`` item or a ``_base_`` file.

A check names the config it validates (the experiment file); when the wrong value was written
by an override (``--set train.epochs=two``) or by a ``_base_`` file, :func:`blame_override` and
:func:`blame_base` put that source in the message instead, found by the key the message names.
Separate from :mod:`detseg.config.loading`: this only rewrites messages, it checks nothing.
"""

from __future__ import annotations

import re
from typing import Any

from detseg.config.schema import ConfigError


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


def blame_base(err: ConfigError, source: str, origins: dict[str, str]) -> ConfigError:
    """``err`` naming the ``_base_`` file that wrote the wrong value, when it is not the top
    file ``source``: the key the message names first (the longest of those at one place), as
    written in ``origins`` (dotted key path -> file, from :func:`compose`)."""
    rest = _after_source(str(err), source)
    if rest is None:
        return err
    named = _named_part(rest)
    origins = _with_sections(origins)
    found = [(at, -len(key), key) for key in origins if (at := _names_key(named, key)) is not None]
    if not found:
        return err
    origin = origins[min(found)[2]]
    return err if origin == source else ConfigError(f"{origin}{rest}")


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

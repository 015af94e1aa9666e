"""A library call whose errors read as a tool's error line writes them: the config overrides
named as ``--set`` items (``detseg.command_line.TOOL_FLAGS``), for the tests that pin the
tools' wording of the config checks by calling the config loading directly."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from detseg.command_line import TOOL_FLAGS
from detseg.named_settings import SettingError


def as_tool(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, its :class:`SettingError` raised again (the same type) with the message
    ``tools/*.py`` print for it: ``--set train.epochs=two: ...`` where Python reads
    ``overrides=['train.epochs=two']: ...``."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except SettingError as error:
            raise type(error)(error.naming(TOOL_FLAGS)) from error

    return call

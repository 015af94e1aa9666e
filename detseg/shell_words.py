"""Paths written into the commands that messages ask a user to paste into a shell.

A message such as ``resume with detseg-train runs/my run/config.yaml --resume`` gives a command
that a shell splits at the space; :func:`shell_word` writes each path as one word of the user's
shell. Bottom layer: imports nothing from detseg.
"""

from __future__ import annotations

import os
import re
import shlex

__all__ = ["shell_word"]

#: The characters a Windows shell (cmd.exe, PowerShell) reads as part of a plain word.
_WINDOWS_PLAIN = re.compile(r"[A-Za-z0-9_.:\\/+=,-]+")


def shell_word(value: str | os.PathLike[str], windows: bool | None = None) -> str:
    """``value`` as one word of a command a message asks the user to paste into a shell.

    On POSIX it is quoted where a shell would split or expand it (``shlex.quote``); on Windows
    (``windows``; default: this machine's ``os.name``), where cmd.exe and PowerShell take no
    single quotes, it is put in double quotes unless it holds only plain characters (letters,
    digits, ``_ . : \\ / + = , -``): a space, ``&``, ``(``, ``%`` or an empty value is quoted.
    """
    text = os.fspath(value)
    if os.name == "nt" if windows is None else windows:
        return text if _WINDOWS_PLAIN.fullmatch(text) else f'"{text}"'
    return shlex.quote(text)

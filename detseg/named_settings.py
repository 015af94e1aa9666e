"""An error whose message names settings as its caller gave them: :class:`SettingError`.

A function that a tool calls for its user (``export_model``, ``evaluate_checkpoint``) raises
messages that name its settings. From Python they are its keyword arguments (``opset=10``,
``split='test'``); from the tool they are the flags its user typed (``--opset 10``, ``--split
test``), as no keyword was typed there. The message is written once, with a ``{keyword}``
field for each setting it names; ``str(error)`` writes the keyword form and
:meth:`SettingError.naming` the tool's, from the tool's one table of its flags. A setting
named without a value (``export with another {opset}``) is a :class:`NameOnly`: the flag alone
from the tool, its Python wording from Python. :func:`settings_named` writes such a text that is
no error (a report's advice). Bottom layer: imports only :mod:`detseg.shell_words`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from detseg.shell_words import shell_word

__all__ = ["NameOnly", "SettingError", "literal", "settings_named"]


#: What :func:`literal` writes for the braces of a user's text, and the message restores.
_OPEN, _CLOSE = "\x01", "\x02"


def literal(text: object) -> str:
    """``text`` (a user's name, path or class list written into a message) kept as it is:
    a ``{split}`` in a split's name is no field of the message. Its braces stand for
    themselves until :func:`settings_named` writes the message."""
    return str(text).replace("{", _OPEN).replace("}", _CLOSE)


@dataclass(frozen=True)
class NameOnly:
    """The value of a setting that a message names without a value.

    Attributes:
        python: how the message names it for a Python caller: the keyword (``"opset"``), or
            what the caller does where the tool's flag has no keyword (``"do not call
            verify_export"`` for ``--no-verify``).
        placeholder: what the tool's form writes after the flag (``"PATH"``: ``--verify-images
            PATH``); empty: the flag alone.
    """

    python: str
    placeholder: str = ""


class SettingError(ValueError):
    """A user error whose message names settings by keyword or by flag (see the module).

    Args:
        message: the reason, naming what to change. Where it names settings, a ``{keyword}``
            field stands for each (a keyword argument of the function that raises it, e.g.
            ``{opset}``); other braces are text.
        **settings: the value of each setting the message names, written with it:
            ``opset=10`` in ``str(error)``, ``--opset 10`` in :meth:`naming`; a
            :class:`NameOnly` for a setting named without a value.
    """

    def __init__(self, message: str, **settings: object) -> None:
        self.template = message
        self.settings = settings
        super().__init__(self.naming({}))

    def naming(self, flags: Mapping[str, str]) -> str:
        """The message with its settings named by ``flags`` (:func:`settings_named`)."""
        return settings_named(self.template, self.settings, flags)


def settings_named(template: str, settings: Mapping[str, object], flags: Mapping[str, str]) -> str:
    """``template`` with each ``{keyword}`` field of ``settings`` written as the flag ``flags``
    maps the keyword to (``--opset 10``, ``--input-size 64 64``; each value one word of the
    user's shell), or as the keyword where it maps none (``opset=10``); a :class:`NameOnly`
    setting as the flag (and its placeholder), or its Python wording where ``flags`` maps none.
    Other braces are text."""
    if not settings:
        return _restored(template)

    def written(match: re.Match[str]) -> str:
        keyword = match.group(1)
        value = settings[keyword]
        flag = flags.get(keyword)
        if isinstance(value, NameOnly):
            if flag is None:
                return value.python
            return f"{flag} {value.placeholder}" if value.placeholder else flag
        if flag is None:
            return f"{keyword}={value!r}"
        words = value if isinstance(value, (tuple, list)) else (value,)
        return " ".join([flag, *(shell_word(str(word)) for word in words)])

    names = "|".join(re.escape(keyword) for keyword in settings)
    return _restored(re.sub(r"\{(" + names + r")\}", written, template))


def _restored(text: str) -> str:
    """``text`` with the braces of its :func:`literal` parts back."""
    return text.replace(_OPEN, "{").replace(_CLOSE, "}")

"""The error of an export that cannot be made: :class:`ExportError`.

A message about a setting names it as the caller gave it: ``export_model``'s keyword argument
(``opset=10``) for Python code, the flag (``--opset 10``) for ``tools/export.py``, whose user
typed no keyword. The message is written once, with a ``{keyword}`` field for each setting it
names; ``str(error)`` writes the keyword form and :meth:`ExportError.naming` the tool's, from
the tool's one table of its flags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["ExportError"]


class ExportError(ValueError):
    """A model, or a combination of model and export settings, that cannot be exported.

    Args:
        message: the reason, naming what to change. Where it names settings, a ``{keyword}``
            field stands for each (a keyword argument of
            :func:`~detseg.export.model_export.export_model`, e.g. ``{opset}``); other braces
            are text.
        **settings: the value of each setting the message names, written with it:
            ``opset=10`` in ``str(error)``, ``--opset 10`` in :meth:`naming`.
    """

    def __init__(self, message: str, **settings: object) -> None:
        self.template = message
        self.settings = settings
        super().__init__(self.naming({}))

    def naming(self, flags: Mapping[str, str]) -> str:
        """The message with each setting written as the flag ``flags`` maps its keyword to
        (``--opset 10``, ``--input-size 64 64``), or as the keyword where it maps none
        (``opset=10``)."""
        if not self.settings:
            return self.template

        def written(match: re.Match[str]) -> str:
            keyword = match.group(1)
            value = self.settings[keyword]
            flag = flags.get(keyword)
            if flag is None:
                return f"{keyword}={value!r}"
            words = value if isinstance(value, (tuple, list)) else (value,)
            return " ".join([flag, *(str(word) for word in words)])

        names = "|".join(re.escape(keyword) for keyword in self.settings)
        return re.sub(r"\{(" + names + r")\}", written, self.template)

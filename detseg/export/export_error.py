"""The error of an export that cannot be made: :class:`ExportError`.

A message about a setting names it as the caller gave it: ``export_model``'s keyword argument
(``opset=10``) for Python code, the flag (``--opset 10``) for ``tools/export.py``, whose user
typed no keyword (:class:`~detseg.named_settings.SettingError`: ``str(error)`` writes the
keyword form and ``error.naming(flags)`` the tool's, from the tool's one table of its flags).
A setting named without a value (``export with another {opset}``, ``skip the check
({verify})``) is a :class:`~detseg.named_settings.NameOnly`: the flag alone from the tool
(``--opset``, ``--no-verify``), its Python wording from Python (``opset``, ``do not call
verify_export``).
"""

from __future__ import annotations

from detseg.named_settings import NameOnly, SettingError

__all__ = ["ExportError", "NameOnly"]


class ExportError(SettingError):
    """A model, or a combination of model and export settings, that cannot be exported.

    Args:
        message: the reason, naming what to change. Where it names settings, a ``{keyword}``
            field stands for each (a keyword argument of
            :func:`~detseg.export.model_export.export_model`, e.g. ``{opset}``, or ``{verify}``
            for the check of :func:`~detseg.export.verify.verify_export`); other braces are
            text.
        **settings: the value of each setting the message names, written with it:
            ``opset=10`` in ``str(error)``, ``--opset 10`` in ``naming``; a ``NameOnly`` for a
            setting named without a value.
    """

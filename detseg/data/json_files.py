"""Reading the JSON files people give detseg (COCO annotations, prediction lists).

:func:`read_json` turns the ways such a file can be unusable into one ``ValueError`` that names
the file: not UTF-8 text (an image or an archive given by mistake), or not valid JSON (with the
line and column, and a hint when the file ends early). :func:`check_text_file` does the first
check for readers of other text formats (a YAML config).
"""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["check_text_file", "read_json"]

#: Leading bytes of binary files people give by mistake, and what they are.
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a zip archive (or a PyTorch checkpoint)"),
    (b"\x1f\x8b", "a gzip archive"),
)
#: Bytes read to tell a text file from a binary one.
_SNIFF_BYTES = 65536


def _label(path: Path, what: str) -> str:
    return f"{what} {path}" if what else str(path)


def _binary_reason(data: bytes, error: UnicodeDecodeError) -> str:
    """Why ``data`` is not UTF-8 text, e.g. ``"it looks like a PNG image"``."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return f"it looks like {name}"
    return f"byte 0x{data[error.start]:02x} at position {error.start} is not UTF-8 text"


def check_text_file(
    path: str | os.PathLike, what: str = "", expected: str = "JSON", fix: str = ""
) -> None:
    """Raise a ``ValueError`` naming ``path`` when it does not start as UTF-8 text.

    Only the first 64 KiB are read (enough to tell an image or an archive from a text file).

    Args:
        path: An existing file.
        what: What the file is meant to be, put before the path in the message.
        expected: The text format expected, for the message (``"JSON"``, ``"JSON or YAML"``).
        fix: What to give instead, appended to the message after ``"; "``.

    Raises:
        ValueError: ``"<path> is not a <expected> text file: it looks like a PNG image"``.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{_label(path, what)} is not a {expected} text file: {_binary_reason(head, exc)}"
            + (f"; {fix}" if fix else "")
        ) from exc


def _syntax_hint(text: str, error: json.JSONDecodeError) -> str:
    """A hint after the parser's message: an empty file, or one that ends too early."""
    if not text.strip():
        return " (the file is empty)"
    if error.pos >= len(text.rstrip()):
        return " (the file ends early: is it truncated?)"
    return ""


def read_json(path: str | os.PathLike, what: str = "") -> Any:
    """The JSON value in ``path`` (UTF-8, a leading byte-order mark allowed).

    Args:
        path: The file.
        what: What the file is, put before the path in messages (``"ground truth"``).

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: ``"<path> is not a JSON text file: ..."`` (not UTF-8 text) or
            ``"<path> is not valid JSON (line L, column C): <parser message>"``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{_label(path, what)} is not a file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{_label(path, what)} is not a JSON text file: {_binary_reason(data, exc)}"
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{_label(path, what)} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
            f"{exc.msg}{_syntax_hint(text, exc)}"
        ) from exc

"""Caption and legend text of :mod:`detseg.visualize`, in any script the fonts on the system have.

``cv2.putText`` draws the characters its Hershey fonts lack (all but ASCII in OpenCV 4, all but
some Latin and Cyrillic in OpenCV 5: CJK, Arabic, Devanagari, ...) as ``"?"``. Text of printable
ASCII is drawn with ``cv2.FONT_HERSHEY_SIMPLEX``; other text with a TrueType/OpenType font
(Pillow) that has a glyph for each of its characters, the first found of:

1. the font file named by the environment variable :data:`FONT_ENV` (``DETSEG_FONT``);
2. the fonts installed on the system (the usual font folders of Linux, macOS and Windows),
   regular sans-serif faces first;
3. matplotlib's own DejaVu Sans (a detseg dependency: Latin, Greek, Cyrillic and more, no CJK).

Text that no font covers is drawn with OpenCV (its other characters as ``"?"``) after one
warning per set of missing characters that names the text and the environment variable.
Sizes follow the Hershey font's: ``scale`` 1 is a font of :data:`PIXELS_PER_SCALE` px.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

#: Environment variable naming a font file (.ttf, .otf, .ttc) for non-ASCII captions.
FONT_ENV = "DETSEG_FONT"

#: Pixel size of a TrueType font whose capitals are as tall as Hershey Simplex at scale 1.
PIXELS_PER_SCALE = 30

_HERSHEY = cv2.FONT_HERSHEY_SIMPLEX
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# faces of a family that are not its plain one: tried after the regular faces
_STYLED = ("bold", "italic", "oblique", "light", "thin", "condensed", "mono", "math", "black")
# at most this many system font files are examined for a missing glyph
_MAX_FONTS = 500


def text_size(text: str, scale: float, stroke: int) -> tuple[tuple[int, int], int]:
    """``((width, height above the baseline), depth below it)`` of ``text`` in px, as
    ``cv2.getTextSize`` with ``cv2.FONT_HERSHEY_SIMPLEX`` gives them for ASCII text."""
    text = _one_line(text)
    font = _font(text, scale)
    if font is None:
        (width, height), baseline = cv2.getTextSize(text, _HERSHEY, scale, stroke)
        return (width, height), baseline
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    return (int(right - min(left, 0)), int(max(-top, 0))), int(max(bottom, 0))


def put_text(
    canvas: np.ndarray,
    text: str,
    origin: tuple[int, int],
    scale: float,
    color: Sequence[int],
    stroke: int,
) -> None:
    """Draw ``text`` on ``canvas`` (``uint8 [H, W, 3]``, in place) with the left end of its
    baseline at ``origin`` ``(x, y)`` px, as ``cv2.putText`` with ``cv2.FONT_HERSHEY_SIMPLEX``
    and anti-aliasing would, in whichever font has its characters."""
    text = _one_line(text)
    font = _font(text, scale)
    if font is None:
        cv2.putText(
            canvas, text, origin, _HERSHEY, scale, tuple(color), stroke, lineType=cv2.LINE_AA
        )
        return
    x, y = origin
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    # only the text's own rectangle goes through Pillow (a copy of a large image would not)
    x0, y0 = max(0, x + min(int(left), 0) - 1), max(0, y + int(top) - 1)
    x1 = min(canvas.shape[1], x + int(right) + 1)
    y1 = min(canvas.shape[0], y + int(bottom) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    crop = Image.fromarray(np.ascontiguousarray(canvas[y0:y1, x0:x1]))
    fill = (int(color[0]), int(color[1]), int(color[2]))
    ImageDraw.Draw(crop).text((x - x0, y - y0), text, font=font, fill=fill, anchor="ls")
    canvas[y0:y1, x0:x1] = np.asarray(crop)


def _one_line(text: str) -> str:
    """``text`` with each control character (a line break, the ``"\\r"`` of a Windows names
    file, a NUL) as a space: text is drawn on one line, and Pillow cannot lay out a line break
    at a baseline anchor."""
    if text.isprintable():
        return text
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _font(text: str, scale: float) -> ImageFont.FreeTypeFont | None:
    """The TrueType font (sized for ``scale``) to draw ``text`` with; ``None`` for printable
    ASCII text (OpenCV draws it) and for text no font covers (warned about once)."""
    special = frozenset(c for c in text if not " " <= c <= "~")
    if not special:
        return None
    configured = os.environ.get(FONT_ENV, "")
    path = _font_file(special, configured)
    if path is None:  # named in the warning: the characters that no font has at all
        _warn_missing(
            frozenset(c for c in special if _font_file(frozenset(c), configured) is None)
            or special,
            text,
        )
        return None
    return _loaded_font(path, max(6, round(PIXELS_PER_SCALE * scale)))


@functools.lru_cache(maxsize=32)
def _loaded_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=256)
def _font_file(chars: frozenset[str], configured: str) -> str | None:
    """The first font file (:func:`_candidate_fonts`) with a glyph for each of ``chars``
    (whitespace needs none), or ``None``."""
    needed = {ord(c) for c in chars if not c.isspace()}
    for path in _candidate_fonts(configured):
        if needed <= _code_points(path):
            return path
    return None


@functools.lru_cache(maxsize=4)
def _candidate_fonts(configured: str) -> tuple[str, ...]:
    """Font files in the order they are tried: ``configured`` (the :data:`FONT_ENV` value),
    the system's fonts (regular sans-serif faces first), matplotlib's DejaVu Sans."""
    paths: list[str] = []
    if configured:
        if Path(configured).is_file() and _code_points(configured):
            paths.append(configured)
        else:
            logger.warning(
                "%s=%s is not a font file Pillow reads (.ttf, .otf, .ttc); "
                "using the system's fonts for non-ASCII captions",
                FONT_ENV,
                configured,
            )
    system = sorted(_system_font_files(), key=_preference)[:_MAX_FONTS]
    return tuple(dict.fromkeys(paths + [str(p) for p in system] + _bundled_fonts()))


def _preference(path: Path) -> tuple[bool, bool, str]:
    """Sort key of a font file: plain faces, then sans-serif ones, then by name."""
    name = path.name.lower()
    return (any(s in name for s in _STYLED), "sans" not in name, name)


def _system_font_files() -> Iterator[Path]:
    """Font files in the usual font folders of Linux, macOS and Windows."""
    home = Path.home()
    folders = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".fonts",
        home / ".local/share/fonts",
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts"),
        home / "Library/Fonts",
    ]
    if sys.platform == "win32":
        folders.append(Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts")
        local = os.environ.get("LOCALAPPDATA")
        if local:
            folders.append(Path(local) / "Microsoft/Windows/Fonts")
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.suffix.lower() in _FONT_SUFFIXES and path.is_file():
                    yield path


def _bundled_fonts() -> list[str]:
    """matplotlib's DejaVu Sans, present wherever detseg is installed."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return []
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return [str(path)] if path.is_file() else []


@functools.cache  # one set per font file tried: at most _MAX_FONTS + 2
def _code_points(path: str) -> frozenset[int]:
    """The characters ``path`` has glyphs for (its best cmap; a collection's first font);
    empty for a file that is no readable font (or without fontTools)."""
    try:  # a detseg dependency (pyproject.toml), also required by matplotlib
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    except ImportError:
        return frozenset()
    try:
        with TTFont(path, fontNumber=0, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception:  # a broken or unsupported font file is skipped, not fatal to drawing
        return frozenset()


# the character sets warned about: one warning each, however many captions hold them
_warned: set[frozenset[str]] = set()


def _warn_missing(chars: frozenset[str], text: str) -> None:
    """Warn once per set of characters that no font draws (``text``: the first one seen)."""
    if chars in _warned:
        return
    _warned.add(chars)
    logger.warning(
        "no font with glyphs for %s found: text %r is drawn with them as '?'; set %s to a "
        ".ttf/.otf/.ttc font file that has them (e.g. Noto Sans CJK for Chinese, Japanese, "
        "Korean) or install one",
        "".join(sorted(chars)),
        text,
        FONT_ENV,
    )

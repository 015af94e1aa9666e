"""Class names outside ASCII (CJK, accented Latin, Cyrillic) are drawn with their glyphs, from a
font that has them (``DETSEG_FONT`` first), not as OpenCV's ``"?"``; a name no font covers is
drawn as ``"?"`` after one warning that names it and ``DETSEG_FONT``."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from fontTools.fontBuilder import FontBuilder  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]

from detseg import text_drawing
from detseg.visualize import class_colors, draw_detections, draw_segmentation, text_color

CAT = "\u732b"  # 猫, "cat"
BOX = [[10.0, 40.0, 150.0, 110.0]]


def _square_font(path: Path) -> Path:
    """A TrueType font whose only glyph, for 猫, is a filled square."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", "cat"])
    builder.setupCharacterMap({0x20: "space", ord(CAT): "cat"})
    pen = TTGlyphPen(None)
    for x, y in [(100, 0), (100, 700), (800, 700), (800, 0)]:
        (pen.moveTo if x == 100 and y == 0 else pen.lineTo)((x, y))
    pen.closePath()
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "space": empty, "cat": pen.glyph()})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "space": (300, 0), "cat": (900, 100)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Square", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(str(path))
    return path


def _caption(name: str) -> np.ndarray:
    image = np.full((120, 160, 3), 128, np.uint8)
    return draw_detections(image, BOX, [1], None, [name])[:40]  # the tab above the box


def test_a_cjk_name_is_drawn_with_a_font_that_has_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(text_drawing.FONT_ENV, str(_square_font(tmp_path / "square.ttf")))
    drawn = _caption(CAT)
    assert not np.array_equal(drawn, _caption("?"))
    # the square glyph: a solid block of black text on the tab, not a thin "?" stroke
    ink = (drawn == 0).all(axis=2)
    assert text_color(class_colors(1)[0]) == (0, 0, 0)
    assert ink.sum() >= 30 and (ink.sum(axis=1) >= 5).sum() >= 5


def test_accented_and_cyrillic_names_keep_their_letters() -> None:
    assert not np.array_equal(_caption("caf\u00e9"), _caption("caf?"))
    assert not np.array_equal(_caption("\u043a\u043e\u0442"), _caption("???"))  # кот


def test_legend_names_use_the_font_too(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(text_drawing.FONT_ENV, str(_square_font(tmp_path / "square.ttf")))
    image = np.zeros((60, 60, 3), np.uint8)
    labels = np.ones((60, 60), np.int64)
    assert not np.array_equal(
        draw_segmentation(image, labels, [CAT]), draw_segmentation(image, labels, ["?"])
    )


def test_a_name_no_font_has_is_warned_about_once(monkeypatch, caplog) -> None:
    monkeypatch.setattr(text_drawing, "_candidate_fonts", lambda configured: ())
    monkeypatch.setattr(text_drawing, "_warned", set())
    text_drawing._font_file.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="detseg.text_drawing"):
            first = _caption(CAT)
            _caption(CAT)
    finally:
        text_drawing._font_file.cache_clear()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert CAT in warnings[0] and text_drawing.FONT_ENV in warnings[0]
    assert np.array_equal(first, _caption("?"))  # OpenCV's fallback, told about


def test_an_unreadable_configured_font_is_named_and_skipped(tmp_path, monkeypatch, caplog):
    bad = tmp_path / "not_a_font.ttf"
    bad.write_text("hello")
    monkeypatch.setenv(text_drawing.FONT_ENV, str(bad))
    with caplog.at_level(logging.WARNING, logger="detseg.text_drawing"):
        drawn = _caption("caf\u00e9")
    assert any(str(bad) in r.getMessage() for r in caplog.records)
    assert not np.array_equal(drawn, _caption("caf?"))


@pytest.mark.parametrize("name", ["", "cat", "a b"])
def test_ascii_names_are_drawn_by_opencv_as_before(name) -> None:
    assert text_drawing._font(name, 0.5) is None


@pytest.mark.parametrize(("name", "shown"), [("a\nb", "a b"), ("cat\r", "cat "), ("x\x00y", "x y")])
def test_control_characters_are_drawn_as_spaces(name, shown) -> None:
    assert np.array_equal(_caption(name), _caption(shown))
    image, labels = np.zeros((40, 40, 3), np.uint8), np.ones((40, 40), np.int64)
    legend = draw_segmentation(image, labels, [name])
    assert np.array_equal(legend, draw_segmentation(image, labels, [shown]))

"""docs/ARCHITECTURE.md's paragraph on the shared test helpers names every helper module at
the top of ``tests/`` (each ``tests/*.py`` that is no test file), and no file that is not
there."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ARCHITECTURE = TESTS.parent / "docs" / "ARCHITECTURE.md"


def _helpers_paragraph() -> str:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("Shared test helpers sit at the top of `tests/`")
    return text[start : text.index("\n\n", start)]


def test_every_helper_at_the_top_of_tests_is_named():
    named = {
        name
        for name in re.findall(r"`([\w.]+\.py)`", _helpers_paragraph())
        if not name.startswith("test_")  # a test file the paragraph mentions
    }
    helpers = {path.name for path in TESTS.glob("*.py") if not path.name.startswith("test_")}
    assert sorted(helpers - named) == [], "add them to the paragraph, with what each is for"
    assert sorted(named - helpers) == [], "named in the paragraph, but not in tests/"

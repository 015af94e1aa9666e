"""What a finding of the dataset check is, and the words its messages are written with.

:class:`Finding` (one problem, with its severity, a stable code, a message and the files
concerned), :data:`SEVERITIES`, the thresholds of the checks (:class:`CheckSettings`), and the
helpers every check uses to word a count (:func:`plural`, :func:`them`) or to turn one count of
:func:`~detseg.dataset_check.stats.split_summary` into a warning (:func:`counted_warning`).
Separate from the checks themselves (:mod:`~detseg.dataset_check.findings`,
:mod:`~detseg.dataset_check.annotation_findings`) so that both can build findings, and the
reports can read them, without importing the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "SEVERITIES",
    "CheckSettings",
    "Finding",
    "Severity",
    "counted_warning",
    "plural",
    "them",
]

Severity = Literal["error", "warning", "info"]

#: Severities, most serious first (the order of the reports).
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass
class CheckSettings:
    """Thresholds of the checks.

    Attributes:
        empty_share: Images without objects above this share of a split are a warning.
        max_files: File names kept per finding (the counts cover every file).
    """

    empty_share: float = 0.5
    max_files: int = 5


@dataclass(frozen=True)
class Finding:
    """One problem found in the data.

    Attributes:
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        code: Stable identifier, e.g. ``"outside_boxes"`` (for scripts reading summary.json).
        split: The split, ``"train/val"`` for an overlap, or ``None`` for the whole dataset.
        message: One sentence for people: what is wrong and what training does with it.
        count: How many images, boxes or files are concerned.
        files: The first few files concerned (as shown in reports).
    """

    severity: Severity
    code: str
    split: str | None
    message: str
    count: int = 0
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self)


def plural(count: int, word: str, verb: str = "") -> str:
    """``"1 box reaches"`` / ``"2 boxes reach"`` (``verb`` given in its plural form)."""
    if count != 1:
        word = f"{word}es" if word.endswith(("x", "s")) else f"{word}s"
    elif verb:
        verb = f"{verb}es" if verb.endswith(("h", "s", "x")) else f"{verb}s"
    return " ".join(part for part in (str(count), word, verb) if part)


def them(count: int) -> str:
    return "it" if count == 1 else "them"


def counted_warning(
    split: str,
    s: Mapping[str, Any],
    code: str,
    examples_key: str,
    message: Callable[[int], str],
) -> list[Finding]:
    """One warning ``code`` when the summary counts ``s[code] > 0`` of it: the count, the
    message written for that count, and the example files ``s[examples_key]``."""
    count = s.get(code, 0)
    if not count:
        return []
    examples = s.get(examples_key, [])
    return [Finding("warning", code, split, message(count), count, examples)]

"""Per-image notes of a dataset conversion, said as one summary line per kind.

The converter reads every image of a source. A note about one image or object (a size stated
by the annotation that differs from the file's, a VOC ``<filename>`` that is not in
``JPEGImages``, an image not found, an object left out for its unusable box) logged as it comes
would be one line per image: thousands on a large dataset, where training and
``tools/check_data.py`` say such a thing once. While :func:`collecting_notes` is active (around
a whole read, :func:`~detseg.convert.datasets.convert.read_dataset`), :func:`note` logs each note
at DEBUG and keeps it; at the end of the block each kind gives one line at its own level: the
count, the first note in full and the places of a few more. A single note of a kind is logged as
it is. Outside such a block (a reader called on its own) a note is logged at once at its level.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = [
    "FILENAME_FALLBACK",
    "IMAGE_SKIPPED",
    "OBJECT_SKIPPED",
    "STATED_SIZE",
    "NoteKind",
    "collecting_notes",
    "note",
]

logger = logging.getLogger(__name__)

#: How many places beyond the first the summary line names.
PLACE_LIMIT = 4


@dataclass(frozen=True)
class NoteKind:
    """A kind of per-image note.

    Attributes:
        level: The logging level of its notes and of its summary line.
        what: What the notes say, for the summary line (``"images whose ..."``).
    """

    level: int
    what: str


#: A COCO ``width`` / ``height`` or a VOC ``<size>`` other than the image file's size.
STATED_SIZE = NoteKind(
    logging.WARNING,
    "images whose annotation gives another size than the image file",
)

#: An image left out: its file is missing or unreadable, or its VOC xml cannot be read.
IMAGE_SKIPPED = NoteKind(logging.WARNING, "images skipped (not found or unreadable)")

#: An object left out: no usable box (not numeric, corners swapped, outside the image), a VOC
#: object without a name, a YOLO label line that cannot be read.
OBJECT_SKIPPED = NoteKind(logging.WARNING, "objects skipped (no usable box, name or class)")

#: A VOC ``<filename>`` that is not in ``JPEGImages`` (the image of the xml's id was read).
FILENAME_FALLBACK = NoteKind(logging.INFO, "VOC annotations whose <filename> is not in JPEGImages")


@dataclass
class _Notes:
    """The notes of one kind: where each is and the first one in full."""

    places: list[str] = field(default_factory=list)
    first: str = ""


_collections: list[dict[NoteKind, _Notes]] = []


def note(kind: NoteKind, place: str, message: str) -> None:
    """Say ``message`` about the image at ``place`` (the annotation file and entry).

    Logged at once at ``kind.level`` outside :func:`collecting_notes`; inside, at DEBUG, and
    counted for the kind's summary line.
    """
    if not _collections:
        logger.log(kind.level, "%s", message)
        return
    logger.debug("%s", message)
    notes = _collections[-1].setdefault(kind, _Notes(first=message))
    notes.places.append(place)


@contextmanager
def collecting_notes() -> Iterator[None]:
    """Collect the :func:`note` calls of the block; log one line per kind when it ends."""
    collected: dict[NoteKind, _Notes] = {}
    _collections.append(collected)
    try:
        yield
    finally:
        _collections.pop()  # this block's own (list.remove would take an equal, outer one)
        for kind, notes in collected.items():
            logger.log(kind.level, "%s", _summary(kind, notes))


def _summary(kind: NoteKind, notes: _Notes) -> str:
    """The line of ``notes``: the first note itself when it is the only one."""
    count = len(notes.places)
    if count == 1:
        return notes.first
    more = notes.places[1 : 1 + PLACE_LIMIT]
    rest = count - 1 - len(more)
    also = ", ".join(more) + (f" and {rest} more" if rest else "")
    return (
        f"{count} {kind.what}; the first: {notes.first}; also {also} (the full list is logged at "
        "DEBUG level: detseg.convert.datasets.image_notes)"
    )

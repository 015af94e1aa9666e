"""Per-image notes of a dataset conversion, said as one summary line per kind.

The converter reads every image of a source. A note about one image or object (a size stated
by the annotation that differs from the file's, a VOC ``<filename>`` that is not in
``JPEGImages``, an image not found, an object left out for its unusable box) logged as it comes
would be one line per image: thousands on a large dataset, where training and
``tools/check_data.py`` say such a thing once. While :func:`collecting_notes` is active (around
a whole read, :func:`~detseg.convert.datasets.convert.read_dataset`), :func:`note` logs each note
at DEBUG and counts it; at the end of the block each kind gives one line at its own level: the
count, the first note in full and the places of a few more. A single note of a kind is logged as
it is. Outside such a block (a reader called on its own) a note is logged at once at its level.

Only what the summary line says is kept (the count, the first note, :data:`PLACE_LIMIT` more
places): a source of millions of notes holds a few strings per kind, not every place. The full
list is the DEBUG lines of this module's logger; a summary line says so in the words of
:data:`FULL_LIST`, or in a tool's own inside :func:`full_list_said` (``tools/convert_dataset.py``
names its ``--verbose``, which shows them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = [
    "FILENAME_FALLBACK",
    "IMAGE_SKIPPED",
    "OBJECT_SKIPPED",
    "STATED_SIZE",
    "NoteKind",
    "collecting_notes",
    "full_list_said",
    "note",
]

logger = logging.getLogger(__name__)

#: How many places beyond the first the summary line names.
PLACE_LIMIT = 4

#: What a summary line says of the full list of its notes, for a program using detseg.
FULL_LIST = f"the full list is logged at DEBUG level: {__name__}"

_full_list: ContextVar[str] = ContextVar("full_list", default=FULL_LIST)


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
    """The notes of one kind, as far as the summary line says them: how many, the first one in
    full, and the places of the next :data:`PLACE_LIMIT`."""

    first: str
    count: int = 0
    places: list[str] = field(default_factory=list)


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
    notes.count += 1
    if 1 < notes.count <= 1 + PLACE_LIMIT:  # the first is said in full, not by its place
        notes.places.append(place)


@contextmanager
def collecting_notes() -> Iterator[None]:
    """Collect the :func:`note` calls of the block; log one line per kind when it ends.

    The line is logged at the kind's level even for a kind of one note: that note was logged at
    DEBUG as it came, which a handler may drop (a logger that allows DEBUG says nothing of its
    handlers), and a warning is a warning with DEBUG lines on too (``--verbose`` shows the note at
    DEBUG and then its summary at its own level)."""
    collected: dict[NoteKind, _Notes] = {}
    _collections.append(collected)
    try:
        yield
    finally:
        _collections.pop()  # this block's own (list.remove would take an equal, outer one)
        for kind, notes in collected.items():
            logger.log(kind.level, "%s", _summary(kind, notes))


@contextmanager
def full_list_said(words: str) -> Iterator[None]:
    """Summary lines of the block say ``words`` of the full list of their notes instead of
    :data:`FULL_LIST`: a tool names its own flag (``"--verbose lists every one"``)."""
    token = _full_list.set(words)
    try:
        yield
    finally:
        _full_list.reset(token)


def _summary(kind: NoteKind, notes: _Notes) -> str:
    """The line of ``notes``: the first note itself when it is the only one."""
    if notes.count == 1:
        return notes.first
    rest = notes.count - 1 - len(notes.places)
    also = ", ".join(notes.places) + (f" and {rest} more" if rest else "")
    return f"{notes.count} {kind.what}; the first: {notes.first}; also {also} ({_full_list.get()})"

"""Why FFmpeg cannot open a video file: an empty file (or one this user may not read), an
MP4/MOV without its ``moov`` index, cut inside a box or without a track (a recording that wrote
no frame), or a file that is not the MP4 its name says.

:class:`~detseg.api.video.VideoSource` asks :func:`unopenable_video_file` before OpenCV opens a
file (a file that certainly fails is refused without FFmpeg's own complaint on stderr), and
:func:`video_file_problem` once OpenCV has failed on a file, to say why in its error; the look
at the file's MP4 boxes is its own topic, apart from reading frames.
"""

from __future__ import annotations

import codecs
from pathlib import Path

__all__ = ["unopenable_video_file", "video_file_problem"]


def unopenable_video_file(path: Path) -> str | None:
    """Why the video file ``path`` cannot be opened, where that is certain without FFmpeg: it
    is empty, or it starts as a web page or a data file does (:func:`_starts_as_a_document`:
    an error page a download saved under the video's name); else ``None``.

    :class:`~detseg.api.video.VideoSource` asks this before FFmpeg opens the file: FFmpeg
    prints its own complaint (``moov atom not found``) on stderr when this process used FFmpeg
    before detseg could quiet it (a ``cv2.VideoWriter`` or ``cv2.VideoCapture`` of the
    notebook's own), and such a file needs no decoder to be refused. Anything else is left to
    FFmpeg, which reads a container from its content, not its name: a WebM named ``.mp4``
    plays, and so do files that are text, or start as text, under a video's name (an
    ``ffconcat`` playlist, a Y4M video). A file this user may not read (or that cannot be read
    at all) is also refused, with the reason (:func:`_unreadable`): a bare ``PermissionError``
    would end a run of several videos.
    """
    try:
        if path.stat().st_size == 0 or _starts_as_a_document(path):
            return video_file_problem(path)
    except OSError as error:
        return _unreadable(error)
    return None


def _unreadable(error: OSError) -> str:
    """The reason, and what to do, for a video file that could not be read (``error``: a
    permission refused, an I/O error of the disk ...), to follow ``cannot open video <path>:``."""
    if isinstance(error, PermissionError):
        return (
            "this user may not read it (permission denied); give it read permission "
            "(chmod a+r) or give a copy this user may read"
        )
    return f"it cannot be read ({error.strerror or error}); check the disk, or copy it again"


def _starts_as_a_document(path: Path) -> bool:
    """Whether ``path`` starts as HTML, XML, JSON or an HTTP response does (text, see
    :func:`_is_text`, whose first non-blank character is ``<``, ``{`` or ``[``, or that starts
    with ``HTTP/``), which FFmpeg plays in no container. A video may start with one of these
    bytes (an M2TS packet whose timestamp starts with 0x3C, ``<``; a MOV whose first box is an
    ``mdat`` of about 960 MiB, length 0x3C......), but then binary bytes follow. A DASH
    manifest (XML with an ``<MPD`` element) is left to FFmpeg, which may play it."""
    with path.open("rb") as file:
        head = file.read(_DOCUMENT_PROBE_BYTES)
    start = head.lstrip(b" \t\r\n\xef\xbb\xbf")  # blanks, a UTF-8 byte order mark
    if not start.startswith((b"<", b"{", b"[", b"HTTP/")) or not _is_text(start):
        return False
    return not start.startswith(b"<") or b"<MPD" not in head


def _is_text(start: bytes) -> bool:
    """Whether the first (up to :data:`_TEXT_PROBE_BYTES`) bytes of ``start`` are UTF-8 text:
    printable characters and blanks (tab, line ends, form feed), no control byte such as the
    zeros of a binary header. A character cut at the end of the probe is not held against it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(start[:_TEXT_PROBE_BYTES], final=False)
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\t\n\r\f\v" for char in text)


#: Bytes read from the start of a file to tell a web page or data file from a video.
_DOCUMENT_PROBE_BYTES = 512

#: Bytes at the start of a file (after blanks) that must be text for it to be a document.
_TEXT_PROBE_BYTES = 64


def video_file_problem(path: Path) -> str:
    """Why FFmpeg may fail to open the video file ``path``, and what to do (for the error of a
    file that cannot be opened): an empty file, an MP4/MOV without its ``moov`` index (a
    recording cut short), cut inside a box or without a track (no frame was recorded), or a
    generic reason."""
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes); give a complete video file"
    if path.suffix.lower() in _MP4_SUFFIXES:
        boxes, cut = _mp4_boxes(path, size)
        if not boxes:
            return (
                f"it is not an MP4/MOV file (it does not start with an MP4 box) although its "
                f"name ends in {path.suffix}; give a video file, or rename it to its format"
            )
        if "moov" not in boxes:
            return (
                "its 'moov' atom (the index of an MP4/MOV file) is missing: the recording "
                "was cut short or the file is incomplete; record, export or copy it again"
            )
        if cut:
            return (
                f"the file ends inside its '{boxes[-1]}' box: it was cut short (an interrupted "
                "copy or download?); copy or download it again"
            )
        if "trak" not in _moov_children(path):
            return (
                "it holds no video track (its 'moov' index lists no 'trak'): a recording that "
                "wrote no frame; give a video with at least one frame"
            )
    return (
        "FFmpeg cannot decode it (a damaged or incomplete file, not a video, or a codec this "
        "OpenCV build lacks); check that a video player plays it, or convert it to .mp4"
    )


#: Suffixes of the ISO base media (MP4/QuickTime) family, whose files are boxes ("atoms").
_MP4_SUFFIXES = {".mp4", ".m4v", ".mov", ".3gp"}

#: Types of the box such a file starts with: ``ftyp``; in older QuickTime files ``moov`` ...
#: ``pnot``; in a segment of a fragmented MP4 ``styp``, ``sidx`` or ``moof`` (text, such as an
#: error page saved under a video's name, starts with none of them).
_FIRST_BOXES = {
    b"ftyp",
    b"moov",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"pnot",
    b"styp",
    b"sidx",
    b"moof",
}


def _mp4_boxes(path: Path, size: int, limit: int = 64) -> tuple[list[str], bool]:
    """The types of the top-level boxes of an MP4/MOV file, as far as their headers are sound
    (``[]``: the file does not start with one of :data:`_FIRST_BOXES`), and whether the last
    one runs past the end of the file."""
    boxes: list[str] = []
    with path.open("rb") as file:
        position = 0
        while position + 8 <= size and len(boxes) < limit:
            file.seek(position)
            length, kind = _box_header(file.read(16), size - position)
            if not length or (not boxes and kind.encode("ascii") not in _FIRST_BOXES):
                break
            boxes.append(kind)
            position += length
    return boxes, position > size


def _moov_children(path: Path) -> list[str]:
    """The types of the boxes directly inside the top-level ``moov`` box of an MP4/MOV file
    (``mvhd``, ``trak`` ...; ``[]`` without one): it holds one ``trak`` per track."""
    size = path.stat().st_size
    with path.open("rb") as file:
        position = 0
        while position + 8 <= size:
            file.seek(position)
            length, kind = _box_header(file.read(16), size - position)
            if not length:
                return []
            if kind == "moov":
                file.seek(position + 8)
                return _child_types(file.read(min(length - 8, _MOOV_READ_LIMIT)))
            position += length
    return []


#: Bytes of a ``moov`` box read to list its children (its ``trak`` boxes follow ``mvhd``).
_MOOV_READ_LIMIT = 1 << 20


def _child_types(body: bytes) -> list[str]:
    """The types of the boxes laid one after another in ``body``, as far as they are sound."""
    types: list[str] = []
    position = 0
    while position + 8 <= len(body):
        length, kind = _box_header(body[position : position + 16], len(body) - position)
        if not length:
            break
        types.append(kind)
        position += length
    return types


def _box_header(header: bytes, room: int) -> tuple[int, str]:
    """``(length, type)`` of the box whose first (up to 16) bytes are ``header``, ``room`` bytes
    from its start to the end of what holds it; ``(0, "")`` for no sound box header (a length
    below 8, a type of other than letters, digits and spaces)."""
    length, kind = int.from_bytes(header[:4], "big"), header[4:8]
    if length == 1 and len(header) == 16:  # a 64-bit length follows the type
        length = int.from_bytes(header[8:16], "big")
    elif length == 0:  # the box runs to the end of what holds it
        length = room
    if length < 8 or len(kind) < 4 or not all(48 <= c < 123 or c == 32 for c in kind):
        return 0, ""
    return length, kind.decode("ascii")

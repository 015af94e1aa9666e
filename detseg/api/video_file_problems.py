"""Why FFmpeg cannot open a video file: an empty file, an MP4/MOV without its ``moov`` index or
cut inside a box, or a file that is not the MP4 its name says.

:class:`~detseg.api.video.VideoSource` asks :func:`video_file_problem` only once OpenCV has
failed on a file, to say why in its error; the look at the file's MP4 boxes is its own topic,
apart from reading frames.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["video_file_problem"]


def video_file_problem(path: Path) -> str:
    """Why FFmpeg may fail to open the video file ``path``, and what to do (for the error of a
    file that cannot be opened): an empty file, an MP4/MOV without its ``moov`` index (a
    recording cut short) or cut inside a box, or a generic reason."""
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
            header = file.read(16)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1 and len(header) == 16:  # a 64-bit length follows the type
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # the box runs to the end of the file
                length = size - position
            if length < 8 or not all(48 <= c < 123 or c == 32 for c in kind):
                break
            if not boxes and kind not in _FIRST_BOXES:
                break
            boxes.append(kind.decode("ascii"))
            position += length
    return boxes, position > size

"""Recognising what a file given as a checkpoint really is, before ``torch.load``.

The usual mistakes (a folder, an empty or text file, a TorchScript or ONNX export from
``tools/export.py``, a file cut short by a crash) become one line that names the file and says
what to give instead; torch's own messages (and its advice to load with ``weights_only=False``,
wrong and unsafe for a file that is not a checkpoint) never reach the user.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt or lacks a required entry."""


#: Bytes read from the start of a file to tell a text file or an ONNX export.
_HEAD_BYTES = 4096
_ZIP_MAGIC = b"PK\x03\x04"
#: Field tags that follow ``ir_version`` (field 1) at the start of an ONNX ``ModelProto``.
_ONNX_NEXT_TAGS = frozenset(b"\x12\x1a\x22\x28\x32\x3a\x42")


def check_checkpoint_file(path: Path) -> None:
    """Refuse, from the file system and the first bytes, what cannot be a checkpoint.

    Raises:
        CheckpointError: ``path`` is missing, a folder, empty, unreadable, a text file, a
            TorchScript or ONNX export (``tools/export.py``), or a zip archive cut short.
    """
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; give a best.pt / last.pt file")
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err.strerror or err}") from err
    if size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes)")
    if head.startswith(_ZIP_MAGIC):
        _check_zip(path)
    elif _is_onnx(head):
        raise CheckpointError(_export_message(path, "an ONNX"))
    elif _is_text(head):
        raise CheckpointError(f"{path} is not a checkpoint (a text file?)")


def _check_zip(path: Path) -> None:
    """A checkpoint is a zip archive; refuse a TorchScript export and an archive cut short."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise CheckpointError(
            f"{path} is corrupt: cut short or damaged (its zip directory is unreadable); "
            "give a complete best.pt / last.pt"
        ) from err
    inner = {name.split("/", 1)[-1] for name in names}
    if "constants.pkl" in inner or any(name.startswith("code/") for name in inner):
        raise CheckpointError(_export_message(path, "a TorchScript"))


def _export_message(path: Path, kind: str) -> str:
    return f"{path} is {kind} export, not a train.py checkpoint; give best.pt or last.pt"


def _is_onnx(head: bytes) -> bool:
    """An ONNX ``ModelProto`` starts with ``ir_version`` (tag 0x08, a small varint), then
    another of its fields."""
    return len(head) >= 3 and head[0] == 0x08 and head[1] < 0x80 and head[2] in _ONNX_NEXT_TAGS


def _is_text(head: bytes) -> bool:
    """No NUL byte, and valid UTF-8 (a character cut at the end of ``head`` allowed)."""
    if b"\0" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def load_error(err: Exception) -> str:
    """The reason of a failed ``torch.load``, without torch's advice to drop
    ``weights_only`` (wrong for a file that is not a checkpoint, and unsafe)."""
    text = str(err)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].strip()
        text = re.split(r"\.\s|\n", text, maxsplit=1)[0]
    elif isinstance(err, OSError) and err.strerror:
        text = err.strerror
    return " ".join(text.split()) or type(err).__name__


def is_complete(path: Path) -> bool:
    """Cheap check that ``path`` is a whole ``torch.save`` file: its zip directory (at the
    end of the file) reads. A file cut short by a crash or a full disk fails it."""
    try:
        with zipfile.ZipFile(path):
            return True
    except (zipfile.BadZipFile, OSError):
        return False

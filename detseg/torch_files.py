"""Recognising what a file given as a checkpoint really is, and reading it safely.

The usual mistakes (a folder, an empty or text file, a TorchScript or ONNX export from
``tools/export.py``, a file cut short by a crash, pickled objects) become one line that names
the file and says what to give instead; torch's own messages (and its advice to load with
``weights_only=False``, wrong and unsafe for a file that is not a checkpoint) and warnings never
reach the user. :func:`read_torch_file` is the one reader of every checkpoint and state-dict
file (``load_checkpoint``, ``model.init_from``, ``tools/convert_torchvision.py``, backbone
weights), so they all say it the same way; :func:`state_mismatch` sums up tensors that do not
fit a model in one line (instead of ``load_state_dict``'s list of every tensor).
"""

from __future__ import annotations

import codecs
import re
import sys
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt or lacks a required entry."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist: a :class:`CheckpointError` that ``except
    FileNotFoundError`` catches too."""


#: Bytes read from the start of a file to tell a text file or an ONNX export.
_HEAD_BYTES = 4096
_ZIP_MAGIC = b"PK\x03\x04"
#: Field tags that follow ``ir_version`` (field 1) at the start of an ONNX ``ModelProto``.
_ONNX_NEXT_TAGS = frozenset(b"\x12\x1a\x22\x28\x32\x3a\x42")


#: What to give instead, by default: a checkpoint of ``tools/train.py``.
TRAIN_CHECKPOINT = "a best.pt / last.pt written by detseg-train (tools/train.py)"


def read_torch_file(path: str | Path, give: str | None = None) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)``, every failure one line.

    Args:
        path: The checkpoint or state-dict file.
        give: What the caller expects, ending the messages (``"...; give <give>"``);
            ``None``: a ``tools/train.py`` checkpoint (:data:`TRAIN_CHECKPOINT`).

    Returns:
        What the file holds (tensors, dicts, lists, strings, numbers).

    Raises:
        CheckpointError: See :func:`check_checkpoint_file`; or torch cannot read the file
            (``<path> is not a checkpoint (<torch's reason>); give <give>``).
    """
    path = Path(path)
    check_checkpoint_file(path, give)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. torch's notes on pickle protocols, zip files
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # the unpickler raises many types on corrupt input
        raise CheckpointError(
            f"{path} is not a checkpoint ({load_error(err)}); give {give or TRAIN_CHECKPOINT}"
        ) from err


def check_checkpoint_file(path: Path, give: str | None = None) -> None:
    """Refuse, from the file system and the first bytes, what cannot be a checkpoint.

    Args:
        path: The file.
        give: What the caller expects, ending the messages; ``None``: a ``tools/train.py``
            checkpoint (best.pt / last.pt).

    Raises:
        CheckpointError: ``path`` is missing, a folder, empty, unreadable, a text file, a
            TorchScript or ONNX export (``tools/export.py``), or a zip archive cut short.
    """
    instead = f"; give {give}" if give else ""
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder{instead or '; give a best.pt / last.pt file'}")
    if not path.exists():
        raise CheckpointNotFoundError(f"checkpoint not found: {path}{instead}")
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err.strerror or err}") from err
    if size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes); give {give or TRAIN_CHECKPOINT}")
    if head.startswith(_ZIP_MAGIC):
        _check_zip(path, give)
    elif _is_onnx(head):
        raise CheckpointError(_export_message(path, "an ONNX", give))
    elif _is_text(head):
        raise CheckpointError(
            f"{path} is not a checkpoint (a text file?); give {give or TRAIN_CHECKPOINT}"
        )


def _check_zip(path: Path, give: str | None) -> None:
    """A checkpoint is a zip archive; refuse a TorchScript export and an archive cut short."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as err:
        raise CheckpointError(
            f"{path} is corrupt: cut short or damaged (its zip directory is unreadable); "
            f"give {'a complete copy' if give else 'a complete best.pt / last.pt'}"
        ) from err
    inner = {name.split("/", 1)[-1] for name in names}
    if "constants.pkl" in inner or any(name.startswith("code/") for name in inner):
        raise CheckpointError(_export_message(path, "a TorchScript", give))


def _export_message(path: Path, kind: str, give: str | None) -> str:
    if give:
        return f"{path} is {kind} export, not a checkpoint; give {give}"
    return f"{path} is {kind} export, not a training checkpoint; give best.pt or last.pt"


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
        module = _pickled_module(text)
        if module is not None:
            return (
                f"it holds a whole pickled model ({module}), not its weights: save "
                "model.state_dict() with torch.save and give that file"
            )
        text = text.split("WeightsUnpickler error:", 1)[1].strip()
        text = re.split(r"\.\s|\n", text, maxsplit=1)[0]
    elif isinstance(err, OSError) and err.strerror:
        text = err.strerror
    return " ".join(text.split()) or type(err).__name__


def _pickled_module(text: str) -> str | None:
    """The ``nn.Module`` class that ``torch.load``'s refusal ``Unsupported global: GLOBAL
    <module>.<Class>`` names (a file written by ``torch.save(model)``), else ``None``.

    Only classes of modules already imported are looked at: nothing named in the file is
    imported."""
    found = re.search(r"GLOBAL ([\w.]+)\.(\w+) was not an allowed global", text)
    module = sys.modules.get(found.group(1)) if found else None
    cls = getattr(module, found.group(2), None) if found and module else None
    if isinstance(cls, type) and issubclass(cls, torch.nn.Module):
        return f"{cls.__module__}.{cls.__qualname__}"
    return None


def state_mismatch(
    expected: Mapping[str, Any],
    given: Mapping[str, Any],
    ignore: tuple[str, ...] = ("num_batches_tracked",),
) -> str | None:
    """How the tensors ``given`` differ from those a model ``expected``, in one line; ``None``
    when every name and shape fits.

    Args:
        expected: The model's state dict (tensors, or anything with ``.shape``).
        given: The file's tensors.
        ignore: Names ending with one of these are not compared (by default BatchNorm
            counters, which torchvision's frozen-BatchNorm files lack).

    Returns:
        ``"12 tensors differ: 3 missing, 2 unexpected, 7 of another shape, e.g. fpn.w
        [256, 160] in the file, [256, 512] here"``, or ``None``.
    """
    missing = [k for k in expected if k not in given and not k.endswith(ignore)]
    unexpected = [k for k in given if k not in expected and not k.endswith(ignore)]
    reshaped = [k for k in expected if k in given and _shape(expected[k]) != _shape(given[k])]
    count = len(missing) + len(unexpected) + len(reshaped)
    if not count:
        return None
    kinds = zip(
        (missing, unexpected, reshaped), ("missing", "unexpected", "of another shape"), strict=True
    )
    parts = ", ".join(f"{len(keys)} {kind}" for keys, kind in kinds if keys)
    if reshaped:
        key = reshaped[0]
        example = f"{key} {_shape(given[key])} in the file, {_shape(expected[key])} here"
    else:
        example = f"{'missing' if missing else 'unexpected'} {(missing or unexpected)[0]}"
    counted = f"{count} tensors differ" if count > 1 else "1 tensor differs"
    return f"{counted}: {parts}, e.g. {example}"


def load_state_error(err: Exception) -> str:
    """The first reason in the message of a failed ``load_state_dict`` (which lists every
    tensor, a line each, under a heading), at most 200 characters."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    reason = lines[1] if len(lines) > 1 else (lines[0] if lines else type(err).__name__)
    return reason if len(reason) <= 200 else reason[:197] + "..."


def _shape(value: Any) -> list[int] | str:
    """A tensor's shape as a list (``[256, 160, 1, 1]``); the type name of anything else."""
    shape = getattr(value, "shape", None)
    return list(shape) if shape is not None else type(value).__name__


def is_complete(path: Path) -> bool:
    """Cheap check that ``path`` is a whole ``torch.save`` file: its zip directory (at the
    end of the file) reads. A file cut short by a crash or a full disk fails it."""
    try:
        with zipfile.ZipFile(path):
            return True
    except (zipfile.BadZipFile, OSError):
        return False

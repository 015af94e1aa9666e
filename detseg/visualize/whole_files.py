"""A file written whole or not at all, under its own name even when that is a link.

:func:`write_whole` hands a writer a temporary file beside the output (a hidden name with the
output's extension, which encoders read the format from) and renames it over the output once
it is whole: a writer that fails part way (a full disk) leaves nothing, and a file that had the
name keeps it unchanged. Where a rename cannot replace the file but this user may write it (its
folder is locked; another user's file in a sticky folder such as ``/tmp``), the file is written
in place, as ``cp`` does. Which file that is, and whether it may be written at all (a link
followed, a device or a read-only file refused), is :mod:`~detseg.visualize.output_files`'
answer. Every failure is an ``OSError`` with the OS's ``errno`` naming the output, never the
temporary file: the command-line tools name their ``--out`` from it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from detseg.visualize.output_files import file_written, written_in_place

__all__ = ["write_bytes", "write_whole"]


def write_bytes(path: Path, file: Path, data: bytes) -> None:
    """Write ``data`` to ``file`` (``path``'s temporary file, or its own); a failure is an
    ``OSError`` with the OS's ``errno`` and reason, naming ``path``."""
    try:
        with open(file, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise OSError(exc.errno or errno.EIO, exc.strerror or str(exc), str(path)) from exc


def write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` with a temporary file beside ``path``'s file (a hidden name with
    ``path``'s extension, which the writers read the format from), then rename it to that file.

    ``path``'s file is ``path`` or the target of a symbolic link at ``path`` (the link stays a
    link); a device, a FIFO or a read-only file is refused (:func:`file_written`). An image is
    whole or not there: a writer that fails part way (a full disk) leaves a partial file, which
    is removed, and an image that had the name before keeps it unchanged. The rename is an
    atomic replace by design: the new file keeps the old one's permission bits, not its owner
    (it is this user's file) nor its hard links (another name of the old file keeps the old
    image).

    An existing file whose folder this user may not write, but which he may write, is written
    in place (:func:`written_in_place`), as ``cp`` writes it: a write that fails there leaves
    it cut. So is one the rename may not replace although he may write it (another user's
    file in a sticky folder such as ``/tmp``: ``EPERM``, :func:`_replaced`). Every failure is
    an ``OSError`` naming ``path`` (:func:`_naming`), not the temporary file.
    """
    target = file_written(path)
    if written_in_place(target):
        write(target)
        return
    temporary = target.with_name(_temporary_name(target.stem, path.suffix))
    try:
        write(temporary)
        if target.exists():
            shutil.copymode(target, temporary)
        replaced = _replaced(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise _naming(exc, path, target) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise
    if not replaced:  # the new image goes into the file itself, as cp writes it
        write(target)


def _replaced(temporary: Path, target: Path) -> bool:
    """Rename ``temporary`` over ``target``; ``False`` (``temporary`` removed) where the
    rename is refused (``EPERM``, ``EACCES``) but ``target`` is a file this user may write:
    another user's file in a sticky, world-writable folder (``/tmp``), which only its owner
    may replace or remove, though its mode lets others write it."""
    try:
        os.replace(temporary, target)
    except PermissionError:
        if not (target.is_file() and os.access(target, os.W_OK)):
            raise
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
    return True


def _naming(error: OSError, path: Path, target: Path) -> OSError:
    """``error`` of writing the image ``path`` (into ``target``, its file) as an ``OSError``
    of the same ``errno`` and reason naming ``path``, not the temporary file; where ``path``
    is a link and this user may not write in its target's folder, that folder is named."""
    number = error.errno or errno.EIO
    reason = error.strerror or str(error)
    if target != path and number in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += f" in {target.parent} (the folder of the link's target)"
    return OSError(number, reason, str(path))


def _temporary_name(stem: str, suffix: str) -> str:
    """A hidden, unique name for the temporary file of an image named ``stem`` + ``suffix``:
    ``.<stem>.<8 hex>.tmp<suffix>``, the stem cut to :data:`_TEMPORARY_STEM_BYTES` bytes, so
    that a valid file name of up to 255 bytes does not give a temporary name the file system
    refuses (``ENAMETOOLONG``)."""
    short = stem[:_TEMPORARY_STEM_BYTES]
    while len(os.fsencode(short)) > _TEMPORARY_STEM_BYTES:  # characters of several bytes
        short = short[:-1]
    return f".{short}.{secrets.token_hex(4)}.tmp{suffix}"


#: Bytes of an image's stem kept in its temporary file's name.
_TEMPORARY_STEM_BYTES = 64

"""Which file an output written to a path lands in, and whether it may be written.

:func:`file_written` is what :mod:`~detseg.visualize.saving` asks before it writes an image: a
symbolic link at the path is followed to its target (the target gets the image, the link stays
a link); a link loop, a device, a FIFO or a socket is refused (the writers rename a new file
over the old one, which would put a regular file where the device or pipe was; a FIFO would
hang a writer that opens it); a read-only file is refused (:func:`refuse_read_only`). The
prediction runs ask it too of the files a tool names (``instead``:
:data:`ANOTHER_OUTPUT_FOLDER`): a video's ``.mp4`` and ``.jsonl`` records and
``predictions.json`` before any frame or image is predicted, a drawing named after its input
before it is written. The rule is the project's own, not the OS's: a file whose mode has no
write bit is refused for root as well, who could write it, since such a file was protected on
purpose.

:func:`written_in_place` says where the new file cannot be made beside the old one (its folder
is not writable, the file is): the writers then write into the file itself, as ``cp`` does.
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ANOTHER_FILE_NAME",
    "ANOTHER_OUTPUT_FOLDER",
    "file_written",
    "refuse_read_only",
    "refuse_tool_outputs",
    "written_in_place",
]

#: What to do instead, where the caller chose the file name (``save_rgb(path, ...)``).
ANOTHER_FILE_NAME = "choose another file name"

#: What to do instead, where a tool names the file (``predictions.json``, a video's
#: ``<stem>.mp4`` and ``<stem>.jsonl``, a drawing named after its input).
ANOTHER_OUTPUT_FOLDER = "choose another output folder (--out / out=)"


def file_written(path: Path, instead: str = ANOTHER_FILE_NAME) -> Path:
    """The file an image written to ``path`` lands in: ``path``, or the target of the symbolic
    link(s) at ``path`` (a link replaced by a file would be cut from what it points to).

    Args:
        path: the output file.
        instead: what to do instead, the end of a refusal: :data:`ANOTHER_FILE_NAME` (the
            caller chose the name) or, where a tool names the file,
            :data:`ANOTHER_OUTPUT_FOLDER` (as :func:`refuse_read_only` takes it).

    Raises:
        ValueError: ``path`` is a link loop, or a device, FIFO or socket (or a link to one):
            one line naming it and what it is.
        FileNotFoundError: ``path`` is a link whose target's folder does not exist.
        PermissionError: the file is read-only (:func:`refuse_read_only`); it is not replaced.
    """
    target = path
    if path.is_symlink():
        try:
            target = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:  # a link to a file not yet there: it is created
            target = Path(os.path.realpath(path))
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise ValueError(
                f"cannot write {path}: it is a symbolic link that leads back to itself (a "
                f"link loop); remove the link or {_another(instead, 'give another file name')}"
            ) from None
        if not target.parent.is_dir():
            raise FileNotFoundError(
                f"cannot write {path}: it is a link to {target}, whose folder does not exist; "
                "create the folder or remove the link"
            )
    _refuse_special_file(path, target, _another(instead, "choose an image file path"))
    refuse_read_only(path, instead)
    return target


def _another(instead: str, own_name: str) -> str:
    """What to do instead of writing a file: ``own_name`` where the caller chose the name
    (``instead`` is :data:`ANOTHER_FILE_NAME`: the advice fits what was refused), else
    ``instead`` (another output folder, where a tool names the file)."""
    return own_name if instead == ANOTHER_FILE_NAME else instead


def refuse_tool_outputs(paths: Sequence[Path], what: str) -> None:
    """Refuse the files a tool names itself (``predictions.json``, a video's ``<stem>.mp4`` and
    ``<stem>.jsonl``) before any of them is written, so that no half of the outputs is left
    behind: a folder at one of them, then a FIFO, device, link loop or read-only file
    (:func:`file_written`, advising :data:`ANOTHER_OUTPUT_FOLDER`).

    Args:
        paths: the output files.
        what: what they hold, for the message (``"the outputs of clip.mp4"``).

    Raises:
        ValueError: a folder, FIFO, device or link loop at one of ``paths``.
        FileNotFoundError: a link into a folder that does not exist.
        PermissionError: a read-only file.
    """
    folder = next((path for path in paths if path.is_dir()), None)
    if folder is not None:
        raise ValueError(
            f"cannot write {what}: {folder} is a folder; move it away or choose another output "
            "folder"
        )
    for path in paths:
        file_written(path, ANOTHER_OUTPUT_FOLDER)


def _refuse_special_file(path: Path, target: Path, instead: str) -> None:
    """Refuse ``target`` (``path`` or its link's target) when it is there and no regular file
    or folder (a folder is refused by the writers, with an example file name); ``instead``:
    what to do, the end of the message."""
    try:
        mode = target.stat().st_mode
    except OSError:  # not there yet: a new file
        return
    kind = _SPECIAL_KINDS.get(stat.S_IFMT(mode))
    if kind is not None:
        link = f" (a link to {target})" if target != path else ""
        raise ValueError(f"cannot write {path}{link}: it is {kind}, not a file; {instead}")


#: What a file of each type (``stat.S_IFMT``) that no image may replace is, in words.
_SPECIAL_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def refuse_read_only(path: Path, instead: str = ANOTHER_FILE_NAME) -> None:
    """Refuse to write over ``path`` (or the file a link at ``path`` points to) when it is a
    regular file that may not be written: its mode has no write bit (``chmod a-w``, refused
    for root as well), or this user may not write it (another user's file, a read-only file
    system, an immutable file). A path that is no file yet passes.

    Args:
        path: the output file.
        instead: what to do instead of changing the file, the end of the message:
            :data:`ANOTHER_FILE_NAME` or, where a tool names the file,
            :data:`ANOTHER_OUTPUT_FOLDER`.

    Raises:
        PermissionError: (``errno`` ``EACCES``) one line naming the file, why it may not be
            written and what to do.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except OSError:  # not there yet, or its folder unreadable: the write itself will say
        return
    if not stat.S_ISREG(mode) or (mode & 0o222 and os.access(target, os.W_OK)):
        return
    link = f" (a link to {target})" if target != path else ""
    error = PermissionError(f"cannot write {path}{link}: {_why_read_only(target, mode, instead)}")
    error.errno = errno.EACCES
    raise error


def _why_read_only(target: Path, mode: int, instead: str) -> str:
    """Why the regular file ``target`` (of ``mode``) may not be written, and what to do: the
    advice fits what this user can change (only the owner and root may ``chmod`` a file;
    nobody may write on a read-only file system)."""
    if _read_only_file_system(target):
        where = "an output folder (--out / out=)" if instead == ANOTHER_OUTPUT_FOLDER else "a file"
        return f"it is on a read-only file system; choose {where} on a writable disk"
    owner, user = os.stat(target).st_uid, os.geteuid()
    if user != 0 and owner != user:
        return f"the file is read-only and belongs to another user ({_user_name(owner)}); {instead}"
    if not mode & 0o200:
        return f"the file is read-only; make it writable (chmod u+w {target}) or {instead}"
    return (
        "the file may not be written although its mode allows it (an immutable file: see "
        f"lsattr {target}); {instead}"
    )


def _read_only_file_system(path: Path) -> bool:
    """Whether ``path`` lies on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _user_name(uid: int) -> str:
    """The login name of ``uid``, else ``uid <n>``."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def written_in_place(target: Path) -> bool:
    """Whether an image for the existing file ``target`` is written into it rather than beside
    it and renamed: its folder is not writable (no new file may be made there), the file is.
    ``cp`` writes such a file; a rename cannot."""
    return (
        target.is_file()
        and not os.access(target.parent, os.W_OK | os.X_OK)
        and os.access(target, os.W_OK)
    )

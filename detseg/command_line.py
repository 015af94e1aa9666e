"""The error boundary of the command-line tools: bad input is one clear line and exit code 2.

Every ``tools/*.py`` script ends with ``run_command(main, name)``, ``name`` the tool as the user
started it (``detseg-train`` for the installed command, ``train`` for ``python tools/train.py``:
``tools/command_names.py``), as in argparse's error lines. An error caused by what the user gave
(a config key, a checkpoint, a dataset layout, a file that is missing or corrupt) is printed as
``<name>: error: <message>`` on stderr, without a traceback, and the process exits with code 2.
Such errors are the exception types of :data:`USER_ERRORS`; their messages name the file, key or
id and say what to do. Any other exception is a bug in detseg and keeps its traceback. A user
error raised inside a ``DataLoader`` worker (a bad label map read with
``train.num_workers > 0``) is the same one line: the worker's traceback that the main process
wraps around its message is left out. ``DETSEG_TRACEBACK=1`` shows the traceback of user
errors too (for debugging detseg itself). An error type with an ``exit_code`` attribute exits
with that code instead of 2 (``PeerLostError``, 1: a distributed run lost another process,
whose own output says why).

An output that cannot be written (``--out`` under a file, in a read-only folder, on a full disk)
is a user error too, whatever ``OSError`` it raises: an ``OSError`` about the tool's output path
(the path itself, a file or folder inside it, a folder above it that could not be made, or the
temporary file beside it that an atomic write makes first) becomes ``cannot write <output>:
<reason>; choose a writable folder with --out``, naming the path the user gave. The output is
the last ``--out`` of the command line, or what the tool names with :func:`declare_output` (a
positional output, or a default).

A model or inputs too large for the machine (``--set model.min_size=100000``) fail in an
allocator deep inside a layer: such an out-of-memory error (:mod:`detseg.memory_errors`) is one
line too, saying the size asked for and what to lower.

An error that names the settings of a library call by keyword
(:class:`~detseg.named_settings.SettingError`, a :class:`~detseg.config.ConfigError` among
them) names them by the tools' flags instead: the config overrides as ``--set`` items
(:data:`TOOL_FLAGS`), as the tool's user typed them; a tool whose own flags are named too
(``--split``, ``--resume``) renames them first, from its own table.

A standard output whose reader has gone (``detseg-anchors ... | head -1``) ends the tool
quietly with exit code 141, that of a process ended by SIGPIPE, instead of a broken pipe
traceback.

Importing this module imports no torch (the tools import it before they parse their
arguments, and ``--help`` does not wait for torch): the detseg exception types of
:data:`USER_ERRORS` live in modules that import it, so the tuple is made on first use.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import select
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from detseg.memory_errors import asked_size, is_out_of_memory
from detseg.named_settings import SettingError

__all__ = [
    "TOOL_FLAGS",
    "USER_ERROR_EXIT_CODE",
    "USER_ERRORS",
    "declare_output",
    "run_command",
    "user_path",
]

#: The flag of each keyword that every tool's error line names by its flag: the config
#: ``overrides`` of a library call, and those an error advises
#: (``detseg.config.error_blame.ADVISED_OVERRIDES``), are the ``--set`` items of every tool that
#: takes them.
TOOL_FLAGS = {"overrides": "--set", "advised_overrides": "--set"}

#: Exit code of a run stopped by bad input (argparse uses 2 for bad flags as well).
USER_ERROR_EXIT_CODE = 2

#: Exit code of a tool whose standard output was closed by its reader (``tool | head``): that
#: of a process ended by SIGPIPE (128 + 13), as a C program in the same pipe would have.
CLOSED_OUTPUT_EXIT_CODE = 141

#: The built-in exceptions among :data:`USER_ERRORS`. ``ValueError`` covers the readers' checks
#: (bad classes, empty split files, corrupt json), and with them ``ConfigError``,
#: ``CheckpointError`` and ``ImageReadError``, which derive from it: most user errors are
#: recognised without importing the modules (and torch) that define the detseg ones.
_BUILTIN_USER_ERRORS: tuple[type[BaseException], ...] = (
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    ValueError,
)

if TYPE_CHECKING:
    #: Exceptions whose message is meant for the user: bad configs, checkpoints, datasets,
    #: files.
    USER_ERRORS: tuple[type[BaseException], ...]


@functools.cache
def _user_errors() -> tuple[type[BaseException], ...]:
    """:data:`USER_ERRORS`, imported on first use (the detseg error modules import torch)."""
    from detseg.config import ConfigError
    from detseg.data.image_io import ImageReadError
    from detseg.engine.checkpointing import CheckpointError, WorkDirError
    from detseg.engine.runtime.failing_together import PeerLostError

    return (
        ConfigError,
        CheckpointError,
        WorkDirError,
        ImageReadError,
        PeerLostError,
        *_BUILTIN_USER_ERRORS,
    )


def __getattr__(name: str) -> Any:
    """``USER_ERRORS``: exceptions whose message is meant for the user (bad configs,
    checkpoints, datasets, files), made on first use."""
    if name == "USER_ERRORS":
        return _user_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_user_error(error: BaseException) -> bool:
    """Whether ``error`` is one of :data:`USER_ERRORS`; the built-in ones are checked first, so
    that the detseg modules are imported only for an error that may be ``WorkDirError``."""
    return isinstance(error, _BUILTIN_USER_ERRORS) or isinstance(error, _user_errors())


#: ``(path, argument)`` of the outputs the running tool named with :func:`declare_output`.
_declared_outputs: list[tuple[Path, str]] = []


def user_path(text: str) -> Path:
    """The ``type`` of the tools' path arguments: the path with a leading ``~`` expanded to the
    home folder, which a shell leaves as it is in ``--out=~/x`` (and in a quoted ``"~/x"``).

    Raises:
        ValueError: an empty or blank text (an unset shell variable, ``--out "$DIR"``), which
            ``Path`` would read as the current folder; argparse names the argument and the
            value in one line.
    """
    if not text.strip():
        raise ValueError("empty path")
    return Path(text).expanduser()


def declare_output(path: str | os.PathLike, argument: str = "--out") -> None:
    """Name an output path of the running tool, for :func:`run_command`'s error line.

    ``--out`` given on the command line is found without it; a tool declares a positional
    output (``declare_output(args.dst, "DST_ROOT")``) or the default it chose for ``--out``.

    Args:
        path: The output file or folder, as the user gave it (or the default).
        argument: The flag or argument that sets it, named in the advice.
    """
    _declared_outputs.append((Path(path), argument))


def _command_line_outputs(argv: list[str]) -> list[tuple[Path, str]]:
    """The last ``--out`` of ``argv`` (``--out PATH`` or ``--out=PATH``), if any."""
    found = []
    for index, arg in enumerate(argv):
        if arg == "--out" and index + 1 < len(argv):
            found = [(Path(argv[index + 1]), "--out")]
        elif arg.startswith("--out="):
            found = [(Path(arg.removeprefix("--out=")), "--out")]
    return found


def _memory_error_message(error: BaseException) -> str | None:
    """``out of memory (asked for N GiB): ...`` when ``error`` is an allocator's failure
    (:func:`detseg.memory_errors.is_out_of_memory`: a model or inputs too large for the
    machine), else ``None``."""
    if not is_out_of_memory(error):
        return None
    return (
        f"out of memory{asked_size(error)}: the model or its inputs do not fit in this "
        "machine's memory; lower the batch or image size (the tool's flags, or --set keys such "
        "as eval.batch_size and model.min_size; DETSEG_TRACEBACK=1 shows where it ran out)"
    )


def _output_error_message(error: BaseException) -> str | None:
    """``cannot write <output>: <reason>; ...`` when ``error`` is an ``OSError`` about an output
    of the running tool (see the module docstring), else ``None``.

    A missing file inside the output (``ENOENT``) is left alone: that is an input read from
    there, not a write.
    """
    if not isinstance(error, OSError):
        return None
    failed = [
        Path(os.path.abspath(name))
        for name in (error.filename, error.filename2)
        if isinstance(name, (str, os.PathLike))
    ]
    outputs = [*_declared_outputs, *_command_line_outputs(sys.argv[1:])]
    for output, argument in outputs:
        target = Path(os.path.abspath(output))
        for path in failed:
            inside = target in path.parents
            beside = _temporary(path, target)
            if not (path == target or path in target.parents or inside or beside):
                continue
            if inside and error.errno == errno.ENOENT:
                continue
            where = "with" if argument.startswith("-") else "for"
            kind = "file" if Path(output).suffix else "folder"  # report.md, or runs/eval
            if error.errno in (errno.ENOSPC, errno.EDQUOT):  # the folder is fine, the disk full
                return (
                    f"cannot write {output}: {_write_problem(error, path)}; free space on its "
                    f"disk, or choose a {kind} on another disk {where} {argument}"
                )
            return (
                f"cannot write {output}: {_write_problem(error, path)}; choose a writable "
                f"{kind} {where} {argument}"
            )
    return None


def _temporary(path: Path, target: Path) -> bool:
    """Whether ``path`` is the temporary file an atomic write of ``target`` makes beside it
    (``.<name>.<random>.tmp``, see ``detseg.engine.checkpointing.save_checkpoint``)."""
    return (
        path.parent == target.parent
        and path.name.startswith(f".{target.name}.")
        and path.name.endswith(".tmp")
    )


def _write_problem(error: OSError, path: Path) -> str:
    """Why writing failed: ``<file> is a file`` when a file stands where a folder is needed,
    else the OS's words (``Permission denied``, ``Read-only file system``, ...)."""
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        for folder in (path, *path.parents):
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file"
    return error.strerror or str(error)


#: The message of an error a ``DataLoader`` worker raised, as the main process re-raises it:
#: ``Caught <Type> in DataLoader worker process <n>.``, the worker's traceback, and last the
#: ``[module.]<Type>: <message>`` line(s) that the error would have printed without workers.
_WORKER_ERROR = re.compile(
    r"\ACaught (?P<type>\w+) in DataLoader worker process \d+\.\s*\n"
    r"Original Traceback \(most recent call last\):\n"
)


def _worker_error_message(text: str) -> str | None:
    """The message of the error inside a ``DataLoader`` worker's re-raised error ``text``
    (:data:`_WORKER_ERROR`): what the same error says with ``num_workers: 0``, so a bad label
    map or annotation is one line naming its file whatever the number of workers; ``None`` for
    any other text."""
    match = _WORKER_ERROR.match(text)
    if match is None:
        return None
    last = re.compile(rf"^(?:[\w.]+\.)?{match['type']}: ", re.MULTILINE)
    starts = list(last.finditer(text, match.end()))
    if not starts:
        return None
    return text[starts[-1].end() :].strip() or None


def _stdout_closed() -> bool:
    """Whether the standard output is a pipe whose reader has gone (``tool | head`` after
    ``head`` ended): polling its descriptor reports an error (``POLLERR``). ``False`` where
    that cannot be told (no ``poll``, a stream without a descriptor): the broken pipe is then
    reported as any other error."""
    try:
        descriptor = sys.stdout.fileno()
        poller = select.poll()
    except (AttributeError, OSError, ValueError):
        return False
    poller.register(descriptor, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _exit_on_closed_output() -> NoReturn:
    """End quietly with :data:`CLOSED_OUTPUT_EXIT_CODE` once the reader of the standard output
    has gone: the output still buffered goes nowhere (Python would otherwise print a broken
    pipe error when it flushes the stream at exit)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(CLOSED_OUTPUT_EXIT_CODE)


def run_command(main: Callable[[], int | None], name: str) -> NoReturn:
    """Run a tool's ``main`` and exit with its code; user errors become one line and code 2
    (or the error type's ``exit_code``). A ``KeyboardInterrupt`` ends it with code 130 and
    ``"<name>: interrupted"``, then ``"; <message>"`` when the tool raised it with one, saying
    how to go on (``detseg-train``: the resume command). A standard output closed by its
    reader (``tool | head``) ends the tool quietly with :data:`CLOSED_OUTPUT_EXIT_CODE`.

    Args:
        main: The tool's entry point; returns the exit code (``None`` means 0).
        name: The tool's name as the user started it, the prefix of the error line
            (``"train: error: ..."``, ``"detseg-train: error: ..."``).
    """
    _declared_outputs.clear()
    try:
        code = main()
        sys.stdout.flush()  # a closed reader is found here rather than at the exit
    except KeyboardInterrupt as interrupt:  # its message, when the tool gave one: what to do
        advice = f"; {interrupt}" if str(interrupt) else ""
        sys.stderr.write(f"{name}: interrupted{advice}\n")
        sys.exit(130)
    except Exception as error:
        if isinstance(error, BrokenPipeError) and _stdout_closed():
            _exit_on_closed_output()
        message = _output_error_message(error) or _memory_error_message(error)
        if message is None and not _is_user_error(error):
            raise
        if os.environ.get("DETSEG_TRACEBACK") == "1":
            raise
        named = error.naming(TOOL_FLAGS) if isinstance(error, SettingError) else str(error)
        message = message or _worker_error_message(str(error)) or named
        message = " ".join(message.split()) or type(error).__name__
        sys.stderr.write(f"{name}: error: {message}\n")
        sys.exit(getattr(error, "exit_code", USER_ERROR_EXIT_CODE))
    sys.exit(code or 0)

"""The error boundary of the command-line tools: bad input is one clear line and exit code 2.

Every ``tools/*.py`` script ends with ``run_command(main, "name")``. An error caused by what
the user gave (a config key, a checkpoint, a dataset layout, a file that is missing or
corrupt) is printed as ``error: <message>`` on stderr, without a traceback, and the process
exits with code 2. Such errors are the exception types of :data:`USER_ERRORS`; their messages
name the file, key or id and say what to do. Any other exception is a bug in detseg and keeps
its traceback. ``DETSEG_TRACEBACK=1`` shows the traceback of user errors too (for debugging
detseg itself).

Importing this module imports no torch (the tools import it before they parse their
arguments, and ``--help`` does not wait for torch): the detseg exception types of
:data:`USER_ERRORS` live in modules that import it, so the tuple is made on first use.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

__all__ = ["USER_ERROR_EXIT_CODE", "USER_ERRORS", "run_command"]

#: Exit code of a run stopped by bad input (argparse uses 2 for bad flags as well).
USER_ERROR_EXIT_CODE = 2

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

    return (ConfigError, CheckpointError, WorkDirError, ImageReadError, *_BUILTIN_USER_ERRORS)


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


def run_command(main: Callable[[], int | None], name: str) -> NoReturn:
    """Run a tool's ``main`` and exit with its code; user errors become one line and code 2.

    Args:
        main: The tool's entry point; returns the exit code (``None`` means 0).
        name: The tool's name, the prefix of the error line (``"train: error: ..."``).
    """
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(130)
    except Exception as error:
        if not _is_user_error(error) or os.environ.get("DETSEG_TRACEBACK") == "1":
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        sys.stderr.write(f"{name}: error: {message}\n")
        sys.exit(USER_ERROR_EXIT_CODE)
    sys.exit(code or 0)

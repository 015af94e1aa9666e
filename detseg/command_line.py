"""The error boundary of the command-line tools: bad input is one clear line and exit code 2.

Every ``tools/*.py`` script ends with ``run_command(main, "name")``. An error caused by what
the user gave (a config key, a checkpoint, a dataset layout, a file that is missing or
corrupt) is printed as ``error: <message>`` on stderr, without a traceback, and the process
exits with code 2. Such errors are the exception types of :data:`USER_ERRORS`; their messages
name the file, key or id and say what to do. Any other exception is a bug in detseg and keeps
its traceback. ``DETSEG_TRACEBACK=1`` shows the traceback of user errors too (for debugging
detseg itself).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from detseg.config import ConfigError
from detseg.data.image_io import ImageReadError
from detseg.engine.checkpointing import CheckpointError, WorkDirError

__all__ = ["USER_ERROR_EXIT_CODE", "USER_ERRORS", "run_command"]

#: Exit code of a run stopped by bad input (argparse uses 2 for bad flags as well).
USER_ERROR_EXIT_CODE = 2

#: Exceptions whose message is meant for the user: bad configs, checkpoints, datasets, files.
#: ``ValueError`` covers the readers' checks (bad classes, empty split files, corrupt json).
USER_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    CheckpointError,
    WorkDirError,
    ImageReadError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    ValueError,
)


def run_command(main: Callable[[], int | None], name: str) -> NoReturn:
    """Run a tool's ``main`` and exit with its code; user errors become one line and code 2.

    Args:
        main: The tool's entry point; returns the exit code (``None`` means 0).
        name: The tool's name, the prefix of the error line (``"train: error: ..."``).
    """
    try:
        code = main()
    except USER_ERRORS as error:
        if os.environ.get("DETSEG_TRACEBACK") == "1":
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        sys.stderr.write(f"{name}: error: {message}\n")
        sys.exit(USER_ERROR_EXIT_CODE)
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        sys.exit(130)
    sys.exit(code or 0)

"""Processes that fail together: a failure of one process of a distributed run is raised by
every process, with one and the same line, instead of one process stopping while the others
wait for it.

The processes of a run (:mod:`~detseg.engine.runtime.distributed`) meet at collectives. A
process that raises alone leaves the others waiting for it at their next collective, until the
process group's timeout (30 minutes by default) or until torchrun ends them: a hang, then a
different message from each process. So each step that one process takes on its own, with no
collective inside (rank 0 writing a file, each process loading its random state), runs inside
:func:`failing_together`: once every process is through it, one gather tells all of them
whether one failed, and every process raises the line of the lowest rank that failed. A step
between two collectives of a training step (rank 0 writing the step's record) runs inside
:func:`deferring_failure` instead: the failure is kept, the process goes on with the step's
collectives, and the processes' next agreement shares it: the step's stop agreement
(:func:`agree_to_stop`, whose all-reduce carries a "failed" flag beside the stop flag) or,
where none comes first, the next :func:`failing_together`.

The line keeps the failure's meaning on every process: a
:class:`~detseg.named_settings.SettingError` is rebuilt from its template and settings (each
process names them as its caller gave them), a user error that pickles whole travels as a copy
(an ``OSError`` keeps its ``errno`` and file), one whose type rebuilds it from the line alone
is raised with its type (``ValueError``), a :class:`SharedFailure` keeps its type, and anything
else is raised as the ``error_type`` the caller names (see :func:`failing_together`). On one
process every step's exception simply passes.

When another process has ended already (a crash, a kill), a collective of this one fails with
a message of gloo or NCCL; :func:`peer_lost` turns it into a :class:`PeerLostError`, one line
that says so and advises the resume.

Imports: this module is built on :mod:`~detseg.engine.runtime.distributed` (``DistInfo`` and
its collectives); that module imports nothing of this one. The failure that
:func:`deferring_failure` keeps belongs to this module; at import it registers its forgetting
with :func:`~detseg.engine.runtime.distributed.call_on_destroy`, so that
:func:`~detseg.engine.runtime.distributed.destroy_distributed` drops a kept failure with the
process group and a later run in the same Python process starts without it.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from collections.abc import Callable, Iterator
from typing import Any

from detseg.engine.runtime.distributed import DistInfo, all_gather, any_true_each, call_on_destroy
from detseg.named_settings import NameOnly, SettingError

logger = logging.getLogger(__name__)

#: The first failure that :func:`deferring_failure` kept on this process, until the processes'
#: next agreement (:func:`agree_to_stop` or :func:`failing_together`) shares it, or
#: :func:`~detseg.engine.runtime.distributed.destroy_distributed` drops it
#: (:func:`_forget_deferred`).
_deferred: Exception | None = None


class PeerLostError(SettingError, RuntimeError):
    """Another process of the run ended while this one waited for it (in a collective or the
    gradient all-reduce). The message says so in one line; the other process's own output says
    why it ended. The resume it advises is a ``{resume}`` field
    (:class:`~detseg.named_settings.SettingError`): ``resume=True`` to
    :func:`detseg.engine.train`, ``--resume`` to ``tools/train.py``.

    Attributes:
        exit_code: the exit code of the command (1: not this process's fault, and not a user
            error of its own, see :func:`~detseg.command_line.run_command`).
    """

    exit_code = 1


class SharedFailure(Exception):
    """A failure of one process whose message is the one line that every process of the run
    raises for it, with the same type (a subclass names what failed), where the processes
    agree (:func:`failing_together`, :func:`agree_to_stop`); the process where it happened
    raises it itself."""


#: Parts of the messages of gloo and NCCL when the process at the other end has gone.
_PEER_LOST_MESSAGES = (
    "Connection closed by peer",
    "Connection reset by peer",
    "Broken pipe",
    "NCCL communicator was aborted",
    "remote process exited",
)


def peer_lost(error: BaseException, dist: DistInfo) -> PeerLostError | None:
    """The :class:`PeerLostError` that ``error`` stands for, or ``None``: an error of the
    collectives of a multi-process run whose message says that the other end has gone."""
    text = str(error)
    cause = next((part for part in _PEER_LOST_MESSAGES if part in text), None)
    if not dist.enabled or cause is None:
        return None
    return PeerLostError(
        f"process {dist.rank} of {dist.world_size}: another process of the run ended "
        f"({cause}); its own output says why. Checkpoints already written are kept: fix the "
        "cause and continue with {resume}",
        resume=NameOnly("resume=True"),
    )


@contextlib.contextmanager
def failing_together(dist: DistInfo, error_type: Callable[[str], Exception]) -> Iterator[None]:
    """Around a step that each process takes on its own, with no collective inside (rank 0
    writing a file, each process loading its random state): when the step raises on any
    process, every process raises once all of them are through it, with one and the same line,
    instead of the others going on to wait at their next collective for the one that failed.

    The line is the message of the lowest rank that failed (on one line); an exception that is
    no user error of :data:`detseg.command_line.USER_ERRORS` (a ``KeyError`` of a damaged
    state, say) is named with its type and process instead. That process raises its own user
    error; every other process raises a copy of it where it pickles whole (an ``OSError``
    with its ``errno`` and file: :func:`_travelling_copy`), else a new one of its type where
    the type rebuilds it from the line alone (a ``ValueError``: ``except ValueError`` holds on
    every process, :func:`_rebuilt_type`), and ``error_type(line)`` otherwise (an
    ``ImageReadError``, made from a path and a reason; a bug's line), from the process's own
    error where it failed too (``DETSEG_TRACEBACK=1`` shows it); a
    :class:`~detseg.named_settings.SettingError` (a ``ConfigError``, a ``ResumeError`` ...) is
    raised again with its own type and settings: ``str(error)`` names them as a Python caller
    gave them and ``error.naming(flags)`` as a tool's flags, on every process. On one process
    the step's exception simply passes. A failure that :func:`deferring_failure` kept on a
    process since the processes last agreed counts as that process's failure here (before one
    of the block, which came later).

    Args:
        dist: this process's place in the run; every process enters the block.
        error_type: the user error the other processes raise where the failure's own type
            cannot be rebuilt from its line (e.g. ``WorkDirError``); a :class:`SharedFailure`
            keeps its own type.
    """
    if not dist.enabled:
        yield
        return
    failure: Exception | None = None
    try:
        yield
    except Exception as err:
        failure = err
    deferred = _take_deferred()
    failure = failure if deferred is None else deferred  # the earlier one
    _raise_together(failure, dist, error_type)


@contextlib.contextmanager
def deferring_failure(dist: DistInfo) -> Iterator[None]:
    """Around a step that one process takes on its own between two collectives of a training
    step (rank 0 writing the step's record or its TensorBoard scalars): a failure there is kept,
    and the process goes on as if the step had passed, taking part in the collectives that
    follow, until the processes' next agreement shares it: :func:`agree_to_stop` (once a
    training step, no collective of its own) or, where none comes first, the next
    :func:`failing_together`. There every process raises with one and the same line, as
    :func:`failing_together` says; none stops alone while the others wait for it.

    The first failure is kept; a later one before the agreement is dropped (the same cause,
    most often: a full disk fails every write). On one process the exception simply passes.
    """
    global _deferred
    if not dist.enabled:
        yield
        return
    try:
        yield
    except Exception as err:
        if _deferred is None:
            _deferred = err
        else:
            logger.debug("a further failure before the processes agree: %s", err)


def agree_to_stop(requested: bool, dist: DistInfo, error_type: Callable[[str], Exception]) -> bool:
    """``True`` on every process when a stop was ``requested`` on at least one; first, every
    process raises when one of them kept a failure (:func:`deferring_failure`).

    One all-reduce of the two flags over gloo
    (:func:`~detseg.engine.runtime.distributed.any_true_each`); only when a failure was kept
    does a gather of its line follow.

    Raises:
        Exception: the kept failure, the same line on every process (see
            :func:`failing_together`; ``error_type(line)`` on the processes other than the one
            whose own user error it is).
    """
    if not dist.enabled:
        return bool(requested)
    failure = _take_deferred()
    stop, failed = any_true_each((requested, failure is not None), dist)
    if failed:
        _raise_together(failure, dist, error_type)
    return stop


def _take_deferred() -> Exception | None:
    """The failure that :func:`deferring_failure` kept on this process (now no longer kept)."""
    global _deferred
    failure, _deferred = _deferred, None
    return failure


def _raise_together(
    failure: Exception | None, dist: DistInfo, error_type: Callable[[str], Exception]
) -> None:
    """Every process raises the line of the lowest rank whose ``failure`` is not ``None``, or
    none of them raises (one gather; see :func:`failing_together`); a :class:`SharedFailure`
    and a user error that travels whole or whose type rebuilds it from the line are raised
    with their own type, anything else as ``error_type``."""
    own_line = failure is not None and (
        _is_user_error(failure) or isinstance(failure, SharedFailure)
    )
    line = None if failure is None else _failure_line(failure, own_line, dist)
    shared: type[Exception] | None = None
    copy: Exception | None = None
    if isinstance(failure, SharedFailure):
        shared = type(failure)
    elif own_line and failure is not None and line is not None:
        copy = _travelling_copy(failure, line)
        shared = None if copy is not None else _rebuilt_type(failure, line)
    named = _named_settings(failure) if own_line else None
    reports = all_gather(None if line is None else (line, shared, named, copy), dist)
    failed = next((rank for rank, report in enumerate(reports) if report is not None), None)
    if failed is None:
        return
    if failed == dist.rank and own_line and isinstance(failure, SettingError):
        raise failure  # the others rebuild it from its template and settings, as they are
    if failed == dist.rank and failure is not None and own_line and line == str(failure):
        raise failure  # its message is the line already
    failed_line, failed_type, failed_named, failed_copy = reports[failed]
    if failed_named is not None:
        kind, template, settings = failed_named
        raise kind(template, **settings) from failure
    if failed_copy is not None:
        raise failed_copy from failure
    raise (failed_type or error_type)(failed_line) from failure


def _named_settings(
    error: Exception | None,
) -> tuple[type[SettingError], str, dict[str, Any]] | None:
    """What every process rebuilds a :class:`~detseg.named_settings.SettingError` from: its
    type, its message's template as it is (the runs of spaces of a path in it kept) and its
    settings (``type(template, **settings)`` names them as its caller gave them, keyword or
    flag); ``None`` for any other error, which the others raise as the line alone. The process
    that raised it raises it itself."""
    if not isinstance(error, SettingError):
        return None
    return type(error), error.template, dict(error.settings)


def _travelling_copy(error: Exception, line: str) -> Exception | None:
    """A copy of ``error`` that the other processes raise as it is, where it pickles and comes
    back whole: of its type, with ``line`` as its message. An ``OSError`` keeps its ``errno``
    and ``filename`` this way (``PermissionError(13, 'Permission denied', path)``), which a
    tool's message reads (:func:`~detseg.command_line.run_command` names its ``--out``), so
    that every process prints the same line. ``None`` for a
    :class:`~detseg.named_settings.SettingError` (:func:`_named_settings`) and for an error
    that does not come back whole (:func:`_rebuilt_type` then)."""
    if isinstance(error, SettingError):
        return None
    try:  # the processes share the classes: what comes back here comes back there
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any __reduce__, any constructor
        return None
    return copy if type(copy) is type(error) and str(copy) == line else None


def _rebuilt_type(error: Exception, line: str) -> type[Exception] | None:
    """The type of ``error`` when the other processes can raise it again from ``line`` alone:
    ``type(error)(line)`` is of that type with ``line`` as its message, and the type travels
    to them (it pickles: a class of a module, not of a function). ``None`` otherwise (a type
    made from more than a message, an ``ImageReadError(path, reason)``; a ``KeyError``, whose
    message quotes its argument), and for a :class:`~detseg.named_settings.SettingError`,
    which travels with its settings (:func:`_named_settings`)."""
    if isinstance(error, SettingError):
        return None
    kind = type(error)
    try:
        rebuilt = kind(line)
        pickle.dumps(kind)
    except Exception:  # any constructor, any class: those that fail are sent as error_type
        return None
    return kind if type(rebuilt) is kind and str(rebuilt) == line else None


def _is_user_error(error: Exception) -> bool:
    """Whether ``error`` is one of :data:`detseg.command_line.USER_ERRORS` (a one-line message
    meant for the user)."""
    from detseg.command_line import USER_ERRORS

    return isinstance(error, USER_ERRORS)


def _failure_line(error: Exception, own_line: bool, dist: DistInfo) -> str:
    """The one line that every process of the run raises for ``error``, raised in this one
    (see :func:`failing_together`): its message where ``own_line`` (a user error, a
    :class:`SharedFailure`)."""
    message = " ".join(str(error).split())
    if own_line and message:
        return message
    return (
        f"process {dist.rank} of {dist.world_size} failed with {type(error).__name__}: "
        f"{message or '(no message)'} (DETSEG_TRACEBACK=1 shows where)"
    )


def _forget_deferred() -> None:
    """Drop the failure that :func:`deferring_failure` kept, unshared (called by
    :func:`~detseg.engine.runtime.distributed.destroy_distributed`: the run that kept it has
    left its process group)."""
    global _deferred
    _deferred = None


call_on_destroy(_forget_deferred)

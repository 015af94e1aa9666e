"""The resumable training state of ``last.pt``: what is saved, checked and restored.

:func:`training_state` gathers the optimizer, scheduler, scaler, RNG (and EMA) states that
``tools/train.py --resume`` needs beside the model; :func:`check_resume_entries` and
:func:`optimizer_mismatch` refuse a state that does not fit before anything is loaded;
:func:`restore_training_state` loads it into freshly built objects; :func:`log_config_changes`
names the config keys whose values a resumed run changes against the checkpoint's config.
Separate from the file handling (:mod:`~detseg.engine.checkpointing.checkpoint`,
:mod:`~detseg.engine.checkpointing.rotation`): this is about the objects of a run, not files.

A refusal that says how to start or resume differently is a :class:`ResumeError`: it names the
settings as the caller gave them, ``resume=True`` and ``work_dir`` to
:func:`detseg.engine.train`, ``--resume`` and ``--work-dir`` to ``tools/train.py``
(:data:`TRAIN_SETTINGS`, ``error.naming(flags)``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from detseg.engine.checkpointing.random_states import rng_state, set_rng_state
from detseg.named_settings import NameOnly, SettingError, literal
from detseg.torch_files import CheckpointError

logger = logging.getLogger(__name__)


class ResumeError(CheckpointError, SettingError):
    """A checkpoint that a run cannot resume from, whose message names the settings of the
    training call (:data:`TRAIN_SETTINGS`) as its caller gave them: ``str(error)`` as keywords
    of :func:`detseg.engine.train`, ``error.naming(flags)`` as a tool's flags."""


#: The settings a :class:`ResumeError` names, as a Python caller of :func:`detseg.engine.train`
#: gives them; a tool names its flag for each keyword (``tools/train.py``: ``--resume``,
#: ``--work-dir``, ``--set``).
TRAIN_SETTINGS = {
    "resume": NameOnly("resume=True"),
    "work_dir": NameOnly("work_dir"),
}

#: The entries of ``last.pt`` a resumed run restores besides the weights (:func:`training_state`).
TRAINING_ENTRIES = ("optimizer", "scheduler", "scaler", "rng")


def training_state(
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
    ema: Any | None = None,
) -> dict[str, Any]:
    """The resumable part of ``last.pt``: optimizer, scheduler, scaler, RNG (and EMA) states.

    ``loader_generator`` is a ``DataLoader``'s shuffling generator, for loaders whose order
    depends on it (the training loader of ``tools/train.py`` does not: its order is a function
    of the seed and the epoch). ``ema`` is a :class:`~detseg.engine.solver.ema.ModelEMA`.
    """
    rng = rng_state()
    if loader_generator is not None:
        rng["loader"] = loader_generator.get_state()
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": rng,
    }
    if ema is not None:
        state["ema"] = ema.state_dict()
    return state


def check_resume_entries(state: dict[str, Any], source: str | Path, ema: bool = False) -> None:
    """Refuse a ``last.pt`` whose training state, run position or schedule position is
    missing, before anything is loaded from it: the entries only ``last.pt`` holds
    (``optimizer``, ``scheduler``, ``scaler``, ``rng``; a ``best.pt`` renamed, or a file another
    program wrote, lacks them), ``meta["run"]`` (the :class:`RunState` dict), and the
    scheduler's ``lr_lambdas`` (list) and ``last_epoch`` (int; without it the schedule would
    silently start again from its warmup). With ``ema`` (``train.ema`` on), the ``ema``
    entry too: a run trained without EMA cannot go on with it.

    Raises:
        ResumeError: one line naming ``source`` and every missing or mistyped entry.
    """
    missing = [k for k in TRAINING_ENTRIES if k not in state]
    if missing:
        raise ResumeError(
            f"cannot resume from {literal(source)}: it lacks the training state {missing} that a "
            "last.pt written by detseg-train holds (a best.pt or a weights-only file has "
            "none); resume from such a last.pt, or start without {resume}",
            **TRAIN_SETTINGS,
        )
    if ema and "ema" not in state:
        raise ResumeError(
            f"cannot resume from {literal(source)} with train.ema=true: the run trained without "
            "EMA (the file has no EMA state); resume with {overrides}, or start without {resume}",
            overrides=NameOnly("train.ema=False in the config", "train.ema=false"),
            **TRAIN_SETTINGS,
        )
    expected = {
        ("meta", "run"): (dict, "dict"),
        ("scheduler", "lr_lambdas"): (list, "list"),
        ("scheduler", "last_epoch"): (int, "int"),
    }
    problems = []
    for (entry, key), (kind, name) in expected.items():
        holder = state.get(entry)
        if not isinstance(holder, dict):
            if entry in state:  # a missing entry is restore_training_state's message
                problems.append(f"{entry!r} is of type {type(holder).__name__}, not a dict")
            continue
        if key not in holder:
            problems.append(f"{entry}[{key!r}] is missing")
        elif not isinstance(holder[key], kind) or isinstance(holder[key], bool):
            problems.append(f"{entry}[{key!r}] is of type {type(holder[key]).__name__}, not {name}")
    if problems:
        raise ResumeError(
            f"cannot resume from {literal(source)}: {'; '.join(dict.fromkeys(problems))}; it was "
            "not written by a training run (or was edited): resume from an older copy renamed to "
            "last.pt, or start without {resume}",
            **TRAIN_SETTINGS,
        )


def restore_training_state(
    state: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
    ema: Any | None = None,
    rank: int = 0,
) -> None:
    """Load what :func:`training_state` saved into freshly built objects.

    The scheduler keeps its own (current config's) schedule and base learning
    rate and only takes its position (``last_epoch``) from the checkpoint, so a
    resumed run may change e.g. ``train.epochs`` or ``train.lr`` (``--resume`` first gives it
    the saved run's warmup, see :func:`~detseg.engine.solver.schedules.keep_saved_warmup`).
    Likewise the optimizer takes only its state (momentum buffers, Adam moments) from the
    checkpoint: each parameter group keeps the settings it was built with (``weight_decay``,
    ``momentum`` or AdamW's ``betas`` of the current config), as the config the resumed run
    writes says.
    Process ``rank`` of a distributed run gets its own random state from ``rng_ranks`` when
    the checkpoint has it.

    Raises:
        CheckpointError: the checkpoint has no training state (e.g. ``best.pt``), EMA is on
            but the checkpoint has no EMA state; a :class:`ResumeError`: its optimizer state is
            another optimizer's or has other parameter groups (:func:`optimizer_mismatch`).
    """
    missing = [k for k in TRAINING_ENTRIES if k not in state]
    if missing:
        raise CheckpointError(f"cannot resume: the checkpoint lacks {missing} (use last.pt)")
    if ema is not None and "ema" not in state:
        raise CheckpointError("cannot resume with train.ema=true: the checkpoint has no EMA state")
    mismatch = optimizer_mismatch(state["optimizer"], optimizer)
    if mismatch is not None:
        raise ResumeError(
            f"cannot resume: the checkpoint's optimizer state does not fit the configured "
            f"optimizer ({mismatch}); {_saved_optimizer_keys(state)}",
            **TRAIN_SETTINGS,
        )
    base_lrs = list(scheduler.base_lrs)
    settings = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    optimizer.load_state_dict(state["optimizer"])  # (it sets the saved groups' settings too)
    for group, built in zip(optimizer.param_groups, settings, strict=True):
        group.update(built)
    sched = dict(state["scheduler"])
    if "lr_lambdas" in sched:  # keep the schedule (and base lr) of the current config
        sched["lr_lambdas"] = [None] * len(sched["lr_lambdas"])
    scheduler.load_state_dict({**sched, "base_lrs": base_lrs})
    for group, base_lr, lr_lambda in zip(
        optimizer.param_groups, base_lrs, scheduler.lr_lambdas, strict=True
    ):
        group["initial_lr"] = base_lr
        group["lr"] = base_lr * lr_lambda(scheduler.last_epoch)
    scaler.load_state_dict(state["scaler"])
    ranks = state.get("rng_ranks") or []
    set_rng_state(ranks[rank] if rank < len(ranks) else state["rng"])
    if loader_generator is not None and "loader" in state["rng"]:
        loader_generator.set_state(state["rng"]["loader"])
    if ema is not None:
        ema.load_state_dict(state["ema"])


def _optimizer_kind(group: dict[str, Any]) -> str:
    """``"adamw"`` for a parameter group of the Adam family (it has ``betas``), else ``"sgd"``
    (``train.optimizer``'s two choices)."""
    return "adamw" if "betas" in group else "sgd"


def optimizer_mismatch(saved: dict[str, Any], optimizer: torch.optim.Optimizer) -> str | None:
    """Why the optimizer state ``saved`` (``Optimizer.state_dict()`` of ``last.pt``) cannot be
    loaded into ``optimizer``; ``None`` when it can.

    ``train.optimizer`` changed (an SGD state has momentum buffers where AdamW needs ``step``
    and moments: loading it fails only at the first step, with ``KeyError: 'step'``) or
    ``train.no_decay_norm_bias`` changed (1 parameter group against 2) is reported as such.
    """
    groups = saved.get("param_groups") or []
    current = optimizer.param_groups
    if len(groups) != len(current):
        return f"{len(groups)} parameter group(s) saved, {len(current)} configured"
    saved_sizes = [len(group.get("params", ())) for group in groups]
    sizes = [len(group["params"]) for group in current]
    if saved_sizes != sizes:
        return (
            f"parameter groups of {saved_sizes} tensors saved, {sizes} configured: other "
            "parameters are trainable (a changed model.trainable_layers?)"
        )
    saved_kinds = [_optimizer_kind(group) for group in groups]
    kinds = [_optimizer_kind(group) for group in current]
    if saved_kinds != kinds:
        return f"saved for {saved_kinds[0]}, configured for {kinds[0]}"
    return None


def _saved_optimizer_keys(state: dict[str, Any]) -> str:
    """What to do about :func:`optimizer_mismatch`: resume with the optimizer keys of the run
    that wrote ``state`` (named from its ``config`` when it has them)."""
    config = state.get("config")
    train = config.get("train") if isinstance(config, dict) else None
    train = train if isinstance(train, dict) else {}
    keys = ("optimizer", "no_decay_norm_bias")
    saved = ", ".join(f"train.{key}={train[key]}" for key in keys if key in train)
    run = f" (the run has {saved})" if saved else ""
    return (
        f"resume with the run's train.optimizer and train.no_decay_norm_bias{run}, "
        "or start a new run in another {work_dir}"
    )


#: How many changed keys the line names before it counts the rest ("and N more").
MAX_NAMED_CHANGES = 10

_ABSENT = object()


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train.lr": 0.02, ...}``: the leaves of a nested config dict under dotted keys (a
    list is one value; an empty mapping is one value too, so that it is not lost)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def config_changes(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``["train.lr 0.002 -> 0.02", ...]``: each dotted key whose value differs between the
    checkpoint's config ``saved`` and the run's config ``current`` (both as ``to_dict()``
    gives them), in the order of ``current`` then of the keys only ``saved`` has; a key one
    of them lacks shows ``(none)`` on that side. Empty when the two are equal."""
    old, new = _flatten(saved), _flatten(current)
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if before != after or isinstance(before, bool) != isinstance(after, bool):
            changes.append(f"{key} {_shown(before)} -> {_shown(after)}")
    return changes


def _shown(value: Any) -> str:
    """A config value as the log line shows it (``(none)`` for a key that side lacks)."""
    return "(none)" if value is _ABSENT else str(value)


def config_changes_line(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """The resume log line naming :func:`config_changes` (at most :data:`MAX_NAMED_CHANGES`
    keys, then ``and N more``); ``None`` when the configs are equal."""
    changes = config_changes(saved, current)
    if not changes:
        return None
    named = ", ".join(changes[:MAX_NAMED_CHANGES])
    more = len(changes) - MAX_NAMED_CHANGES
    if more > 0:
        named += f", and {more} more"
    return f"the config differs from the checkpoint's: {named}"


def log_config_changes(saved: dict[str, Any], current: dict[str, Any]) -> None:
    """Log :func:`config_changes_line` (rank 0 calls it on ``--resume``); nothing when the
    configs are equal."""
    line = config_changes_line(saved, current)
    if line is not None:
        logger.info("%s", line)

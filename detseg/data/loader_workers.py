"""Loader worker processes: their options, their seeds, and ending them.

:func:`worker_options` gives every loader the same worker settings: workers that stay alive
from one epoch to the next (``persistent_workers``) and prepare ``prefetch_factor`` batches
ahead, and, for a CUDA run, batches in pinned (page-locked) memory, from which the copy to the
GPU runs asynchronously (``non_blocking=True``). :func:`seed_worker` seeds each worker and makes
it ignore SIGINT / SIGTERM, which is why :func:`shutdown_workers` and
:func:`end_workers_at_exit` exist: persistent workers that ignore SIGTERM must be ended by the
process itself. Separate from the loaders because the detection, training and segmentation
loaders and the evaluation all share these rules.
"""

from __future__ import annotations

import atexit
import random
import signal
import weakref
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from detseg.data.albumentations_import import BaseCompose
from detseg.data.transforms import seed_augmentations

__all__ = [
    "end_workers_at_exit",
    "reseed_augmentations",
    "seed_worker",
    "shutdown_workers",
    "worker_options",
]


def reseed_augmentations(dataset: Dataset, seed: int) -> None:
    """Give the dataset's albumentations pipeline (if any) its own random streams from ``seed``.

    See :func:`detseg.data.transforms.seed_augmentations`: every transform gets its own seed,
    so that e.g. a flip and a brightness change are not decided by the same draw.
    """
    pipeline = getattr(dataset, "augmentations", None)
    if isinstance(pipeline, BaseCompose):
        seed_augmentations(pipeline, seed)


def seed_worker(worker_id: int) -> None:
    """Seed numpy, ``random`` and the augmentations of one worker from torch's worker seed.

    Torch gives each worker ``base_seed + worker_id``, with ``base_seed`` drawn from the
    loader's generator when the workers start (once, as they persist from epoch to epoch), so
    workers get different random streams, and a seeded loader repeats them (the training
    loader also re-seeds the augmentations of every sample, see
    :func:`~detseg.data.train_loader.build_train_loader`).
    Workers ignore SIGINT and SIGTERM: a Ctrl-C (or a scheduler's
    SIGTERM to the job's process group) reaches the workers too, and the training loop (main
    process) must finish its step and write ``last.pt`` while the workers it still reads from
    stay alive. Workers still end with the main process (PyTorch's watchdog and shutdown).
    """
    for signum in (signal.SIGINT, signal.SIGTERM):  # the main process handles them
        signal.signal(signum, signal.SIG_IGN)
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    if info is not None:
        reseed_augmentations(info.dataset, seed)


def worker_options(
    num_workers: int, device: torch.device | str = "cpu", prefetch_factor: int = 2
) -> dict[str, Any]:
    """The ``DataLoader`` keyword arguments of loading with ``num_workers`` for ``device``.

    Args:
        num_workers: Worker processes (0 loads in the main process).
        device: Where the batches go: ``pin_memory`` is on for CUDA only (pinned batches copy
            to the GPU asynchronously; on a CPU pinning would only cost time).
        prefetch_factor: Batches each worker prepares ahead (only with workers).

    Returns:
        ``num_workers``, ``pin_memory``, ``persistent_workers`` (``True`` with workers: they
        are not restarted every epoch), ``worker_init_fn`` (:func:`seed_worker` with workers)
        and, with workers, ``prefetch_factor``.

    Raises:
        ValueError: ``num_workers < 0`` or ``prefetch_factor < 1``.
    """
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if prefetch_factor < 1:
        raise ValueError(f"prefetch_factor must be >= 1, got {prefetch_factor}")
    options: dict[str, Any] = {
        "num_workers": num_workers,
        "pin_memory": torch.device(device).type == "cuda",
        "persistent_workers": num_workers > 0,
        "worker_init_fn": seed_worker if num_workers > 0 else None,
    }
    if num_workers > 0:
        options["prefetch_factor"] = prefetch_factor
    return options


def shutdown_workers(loader: DataLoader) -> None:
    """End the worker processes of ``loader`` now (nothing when it has none).

    The loaders keep their workers from one pass to the next (``persistent_workers``), and the
    workers ignore SIGTERM (:func:`seed_worker`). A loader still alive when
    the process exits, e.g. held by the traceback of an error raised after the evaluation,
    leaves workers that ``multiprocessing``'s exit handler can neither terminate nor stop
    waiting for: the process would hang. Ending them when the evaluation is done avoids that.
    """
    iterator = getattr(loader, "_iterator", None)  # the persistent workers' iterator
    if iterator is not None and hasattr(iterator, "_shutdown_workers"):
        iterator._shutdown_workers()
    loader._iterator = None


def end_workers_at_exit(loader: DataLoader) -> DataLoader:
    """Make the process end the workers of ``loader`` when it exits; returns ``loader``.

    The workers ignore SIGTERM (:func:`seed_worker`), and ``multiprocessing``'s exit handler
    ends the children it knows with SIGTERM and then waits for them. A loader still alive at
    exit (held by the traceback of an error that ends the process, say) would leave it waiting
    for its workers for ever: a failed training process that never exits, and in a
    distributed run peers that wait for it in their next collective. This exit handler, which
    runs before ``multiprocessing``'s (exit handlers run last registered first), ends the
    workers as :func:`shutdown_workers` does. It holds the loader by a weak reference only.
    """
    if loader.num_workers > 0:
        atexit.register(_shutdown_if_alive, weakref.ref(loader))
    return loader


def _shutdown_if_alive(ref: weakref.ref[DataLoader]) -> None:
    loader = ref()
    if loader is not None:
        shutdown_workers(loader)

"""Loader worker processes: their options, their seeds, and ending them.

:func:`worker_options` gives every loader the same worker settings: workers that stay alive
from one epoch to the next (``persistent_workers``) and prepare ``prefetch_factor`` batches
ahead, and, for a CUDA run, batches in pinned (page-locked) memory, from which the copy to the
GPU runs asynchronously (``non_blocking=True``). :func:`seed_worker` seeds each worker and makes
it ignore SIGINT / SIGTERM, which is why :func:`shutdown_workers` and
:func:`end_workers_at_exit` exist: persistent workers that ignore SIGTERM must be ended by the
process itself. Separate from the loaders because the detection, training and segmentation
loaders and the evaluation all share these rules.

The loaders are :class:`WorkerLoader` objects, whose workers end as soon as an error comes out
of the loader (a worker's error re-raised in the main process, say) and never outlive the
process: a worker left behind, e.g. by an iterator that the cyclic garbage collector frees (its
queues are then closed before it can tell its workers to stop), is killed at exit instead of
making the interpreter wait for it for ever.
"""

from __future__ import annotations

import atexit
import multiprocessing.util  # noqa: F401  (registers its exit handler before this module does)
import random
import signal
import weakref
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.dataloader import _BaseDataLoaderIter, _MultiProcessingDataLoaderIter

from detseg.data.albumentations_import import BaseCompose
from detseg.data.augmentation_builder import seed_augmentations

__all__ = [
    "WorkerLoader",
    "end_workers_at_exit",
    "reseed_augmentations",
    "seed_worker",
    "shutdown_workers",
    "worker_options",
]


def reseed_augmentations(dataset: Dataset, seed: int) -> None:
    """Give the dataset's albumentations pipeline (if any) its own random streams from ``seed``.

    See :func:`detseg.data.augmentation_builder.seed_augmentations`: every transform gets its
    own seed, so that e.g. a flip and a brightness change are not decided by the same draw.
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


#: The worker processes of every :class:`WorkerLoader`, killed at exit if still alive.
_workers: weakref.WeakSet[BaseProcess] = weakref.WeakSet()

#: The queues of every iterator whose workers run, kept reachable until the iterator has told
#: its workers to stop: an iterator freed by the cyclic garbage collector would otherwise find
#: its queues closed by their finalizers (weak-reference callbacks, which the collector runs
#: before ``__del__``), its stop message would never reach the workers, and they would
#: ignore the SIGTERM that follows.
_queues: dict[int, tuple[Any, ...]] = {}


class WorkerLoader(DataLoader):
    """A ``DataLoader`` whose workers end after an error and never outlive the process.

    An exception raised by ``next()`` (other than ``StopIteration``), a worker's error
    re-raised in the main process among them, is re-raised unchanged after the workers have
    ended; the next ``iter(loader)`` starts new ones. Workers still alive when the process
    exits are ended by the exit handler of this module.
    """

    def __iter__(self) -> _BaseDataLoaderIter:
        iterator = self._iterator
        if isinstance(iterator, _EndingIterator) and iterator._shutdown:
            self._iterator = None  # its workers ended after an error: start new ones
        return super().__iter__()

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return super()._get_iterator()
        self.check_worker_number_rationality()
        return _EndingIterator(self)


class _EndingIterator(_MultiProcessingDataLoaderIter):
    """The worker iterator of :class:`WorkerLoader`: ends its workers when ``next()`` fails."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        _workers.update(self._workers)
        _queues[id(self)] = (*self._index_queues, self._worker_result_queue)

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except StopIteration:
            raise
        except Exception:
            self._shutdown_workers()
            raise

    def _shutdown_workers(self) -> None:
        try:
            super()._shutdown_workers()
        finally:
            _queues.pop(id(self), None)


def _kill_workers_left() -> None:
    """Kill the loader workers still alive: they ignore the SIGTERM with which
    ``multiprocessing``'s exit handler (which runs after this one) would end them."""
    for worker in list(_workers):
        if worker.is_alive():
            worker.kill()
            worker.join(timeout=5)


atexit.register(_kill_workers_left)  # after multiprocessing.util's handler: runs before it

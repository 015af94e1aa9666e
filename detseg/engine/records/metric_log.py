"""Training records: a ``metrics.jsonl`` writer and the progress bar.

Every record is one JSON object on its own line, written and flushed at once,
so a crashed run keeps everything logged before the crash and the file can be
read with ``[json.loads(line) for line in open(path)]``. A resumed run appends to its
``metrics.jsonl``; a new run in a used folder first moves the old one aside with
:func:`keep_previous_log` (``metrics.jsonl`` -> ``metrics.1.jsonl``, and the folders ``tb`` ->
``tb.1``, ``ranks`` -> ``ranks.1``), so that one log (and the ``curves.png`` drawn from it)
never mixes two runs.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


class MetricLogger:
    """Appends JSON records to a ``.jsonl`` file.

    Args:
        path: the file; created (with its folder) if missing, appended to otherwise
            (so a resumed run continues the same log).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO | None = self.path.open("a", encoding="utf-8")

    def log(self, record: dict[str, Any]) -> None:
        """Write ``record`` (plus a ``time`` stamp) as one line and flush it.

        Non-finite floats are written as strings (``"nan"``, ``"inf"``) to keep
        every line valid JSON.
        """
        if self._file is None:
            raise ValueError(f"MetricLogger for {self.path} is closed")
        line = json.dumps({"time": round(time.time(), 3), **_json_safe(record)})
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file; further ``log`` calls raise."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> MetricLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def keep_previous_log(path: str | Path) -> Path | None:
    """Move a previous run's log ``path`` aside before a new run starts one.

    ``path`` is a file (``metrics.jsonl`` -> ``metrics.1.jsonl``) or a folder (``tb`` ->
    ``tb.1``, ``ranks`` -> ``ranks.1``). Older copies shift up (``metrics.1.jsonl`` ->
    ``metrics.2.jsonl`` ...); none is dropped (logs are small).

    Returns:
        Where ``path`` went, or ``None`` when there was no ``path``.
    """
    path = Path(path)
    if not path.exists():
        return None
    count = 1
    while _older_log(path, count).exists():
        count += 1
    for k in range(count, 1, -1):  # the free slot first: nothing is overwritten
        os.replace(_older_log(path, k - 1), _older_log(path, k))
    os.replace(path, _older_log(path, 1))
    return _older_log(path, 1)


def _older_log(path: Path, k: int) -> Path:
    """Name of the ``k``-th older copy of ``path`` (``metrics.jsonl`` -> ``metrics.1.jsonl``,
    ``tb`` -> ``tb.1``)."""
    return path.with_name(f"{path.stem}.{k}{path.suffix}")


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All records of a ``metrics.jsonl`` file, in order."""
    with Path(path).open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # tensors and numpy scalars
        return _json_safe(value.item())
    return value


def progress(
    iterable: Iterable[T], desc: str, total: int | None = None, disable: bool = False
) -> Iterator[T] | tqdm:
    """A tqdm bar on stderr, shown only when stderr is a terminal (logs stay clean).

    ``disable=True`` hides it (processes other than rank 0 of a distributed run).
    """
    return tqdm(
        iterable, desc=desc, total=total, dynamic_ncols=True, leave=False, disable=disable or None
    )

"""Checks of the arguments that the tools and their library functions share.

A bad ``--score-thr`` or ``--out`` is refused before any work starts, in the same words from
``tools/infer.py``, ``eval.py``, ``export.py`` and ``convert_torchvision.py`` as from
:func:`detseg.predict_images.predict_checkpoint` or :func:`detseg.export.export_model`; an
output never overwrites the file it is made from, and a generated or converted dataset goes
into a new or empty folder only. A ``--k`` of ``tools/anchors.py`` that does not fill whole
levels is refused by the tool and by :func:`detseg.data.anchor_kmeans.anchors_yaml` alike. A
``--classes`` file of ``tools/convert_dataset.py`` or ``convert_torchvision.py`` that is missing
is refused by the flag's name before any data is read. A count of the Python API
(``batch_size``, ``max_frames``) is an integer of at least 1, a switch (``bgr``) is ``True`` or
``False``, and category ids are whole numbers, one per class.

A number given from Python may come the way a notebook holds it: a 0-d tensor
(``torch.tensor(0.5)``, ``scores.max()``), a 0-d numpy array or a numpy scalar
(``np.float32(0.5)``). :func:`plain_number` is the one rule that takes it as its Python number;
:func:`check_score_threshold` and :func:`check_unit_number` apply it to the thresholds of every
library function (``predict``, ``stream``, ``predict_checkpoint``, ``export_model``,
``evaluate_checkpoint``, the metrics), and give the plain ``float`` back.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any


def check_at_least_one(value: int, name: str) -> None:
    """Refuse a count that is not an integer (``2.5``, ``"2"``, a bool) or is below 1
    (``batch_size``, ``max_frames`` of the Python API), as the tools refuse it.

    Raises:
        ValueError: naming ``name``, the value and its type.
    """
    check_at_least(value, name, 1)


def check_at_least(value: int, name: str, least: int) -> None:
    """Refuse a count of the Python API that is not an integer (``2.5``, ``"2"``, a bool) or
    is below ``least`` (``worst_k`` of an evaluation report may be 0).

    Raises:
        ValueError: naming ``name``, the value and its type.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer >= {least}, got {value!r} ({type(value).__name__})"
        )
    if value < least:
        raise ValueError(f"{name} must be >= {least}, got {value}")


def check_switch(value: object, name: str) -> None:
    """Refuse a switch of the Python API (``bgr``, ``mask_probabilities``) that is not ``True``
    or ``False`` (a numpy bool too): the string ``"no"`` would count as true, ``None`` as false.

    Raises:
        ValueError: naming ``name``, the value and its type.
    """
    kind = type(value)
    if isinstance(value, bool) or (
        kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")
    ):
        return  # numpy's bool, told without importing numpy
    raise ValueError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def whole_ids(ids: Any, name: str = "category_ids") -> list[int] | None:
    """``ids`` (category ids, label ``k`` -> ``ids[k - 1]``) as a list of ``int``; ``None``
    stays ``None``. A list, tuple, 1-D numpy array or tensor of whole numbers is taken (``3.0``
    too, as json may hold it; items that are 0-d tensors or numpy scalars too). Nothing else
    is: a set or a generator has no label order of its own (``{5, 3}`` would iterate as
    ``[3, 5]``, giving label 1 the id 3).

    Raises:
        ValueError: a string, a single number, a mapping, a set, a generator or anything else
            that is not a list or tuple (an array or tensor once made a list); an id that is no
            whole number (``1.5`` would be cut to ``1``), naming ``name``, the position and
            the value.
    """
    if ids is None:
        return None
    values = ids.tolist() if hasattr(ids, "tolist") else ids  # numpy arrays and tensors
    if not isinstance(values, (list, tuple)):
        raise ValueError(
            f"{name} must be a list of whole numbers, one category id per class (label k "
            f"-> {name}[k - 1]), got {ids!r}"
        )
    found = []
    for position, value in enumerate(values):
        value = plain_number(value)  # a 0-d tensor (``list(tensor)`` gives them) or numpy scalar
        whole = (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and float(value).is_integer()
        )
        if not whole:
            raise ValueError(
                f"{name}[{position}] is {value!r}; category ids are whole numbers, one per "
                f"class (label k -> {name}[k - 1])"
            )
        found.append(int(value))
    return found


def plain_number(value: Any) -> Any:
    """``value`` as a Python number when it is one number held the way a notebook holds it:
    a 0-d tensor (``torch.tensor(0.5)``, ``scores.max()``), a 0-d numpy array or a numpy
    scalar (``np.float32(0.5)``, ``np.int64(3)``); anything else as it is, for the caller's
    check to refuse (a tensor of several numbers, or of one in a list: ``torch.tensor([0.5])``;
    a bool or complex one). Told by its ``ndim`` and ``item()``, without importing numpy or
    torch."""
    if getattr(value, "ndim", None) != 0 or not callable(getattr(value, "item", None)):
        return value
    number = value.item()
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return value
    return number


def check_score_threshold(value: Any, name: str) -> float | None:
    """A score threshold of a library function (``score_thr``, ``score_thresh``,
    ``score_threshold``) as a Python ``float``; ``None`` (the default threshold) stays ``None``.
    A 0-d tensor or numpy number is taken (:func:`plain_number`).

    Raises:
        ValueError: what :func:`score_threshold_problem` finds, naming ``name``.
    """
    value = plain_number(value)
    problem = score_threshold_problem(value, name)
    if problem:
        raise ValueError(problem)
    return None if value is None else float(value)


def score_threshold_problem(
    value: float | None, name: str = "--score-thr", or_none: bool = False
) -> str | None:
    """Why ``value`` is no score threshold (not a number: a string, a bool, an array or tensor,
    which is told to give one number; outside ``[0, 1]``, or nan), or ``None`` if it is one.

    ``None`` (the default threshold) is fine. The tools give the message to ``parser.error``,
    the library functions raise it as a ``ValueError``: one text for all, which says ``or
    None`` where the caller takes ``None`` (``or_none``, the Python API's ``score_thr``).
    """
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        expected = "a number in [0, 1] or None" if or_none else "a number in [0, 1]"
        problem = f"{name} must be {expected}, got {value!r} ({type(value).__name__})"
        if getattr(value, "ndim", 0) >= 1:  # an array or tensor of one or more numbers
            problem += "; give one number (.item() of a one-number array or tensor)"
        return problem
    if value is None or 0.0 <= value <= 1.0:
        return None
    return f"{name} must lie in [0, 1], got {value}"


def check_unit_number(value: Any, name: str) -> float:
    """A threshold of the library functions (an IoU, a mask probability, a report's score
    threshold) as a Python ``float``, a 0-d tensor or numpy number taken
    (:func:`plain_number`); refused when it is no number in ``[0, 1]``: ``None``, a string, a
    bool, nan or a value outside the range.

    Raises:
        ValueError: naming ``name``, the value (and its type, when it is no number).
    """
    value = plain_number(value)
    if value is None:
        raise ValueError(f"{name} must be a number in [0, 1], got None")
    problem = score_threshold_problem(value, name)
    if problem:
        raise ValueError(problem)
    return float(value)


def priors_per_level_problem(
    k: int, per_level: int, names: tuple[str, str] = ("--k", "--per-level")
) -> str | None:
    """Why ``k`` priors do not fill levels of ``per_level`` each, or ``None`` if they do.

    Every level of a YOLO head has as many priors, so ``k`` must be a multiple of
    ``per_level`` (``tools/anchors.py`` and :func:`detseg.data.anchor_kmeans.anchors_yaml`).
    A ``per_level`` below 1 is left to the caller's own check.

    Args:
        k: Number of priors.
        per_level: Priors per level.
        names: How the message names the two (the flags, or the library's argument names).
    """
    if per_level < 1 or k % per_level == 0:
        return None
    below = k // per_level * per_level
    nearest = f"{below} or {below + per_level}" if below else f"{per_level}"
    return (
        f"{names[0]} {k} is not a multiple of {names[1]} {per_level}: every level gets "
        f"{per_level} priors; use {names[0]} {nearest}, or another {names[1]}"
    )


def check_classes_file(path: str | os.PathLike | None, name: str = "--classes") -> None:
    """Refuse a class-names file (one name per line, or a yaml with ``names``) that is not a file.

    ``None`` (no file given) is fine.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        IsADirectoryError: ``path`` is a folder.
    """
    if path is None or Path(path).is_file():
        return
    what = "give a text file with one class name per line (or a yaml with 'names')"
    if Path(path).is_dir():
        raise IsADirectoryError(f"{name} {path}: is a folder; {what}")
    raise FileNotFoundError(f"{name} {path}: no such file; {what}")


def check_output_folder(out: str | os.PathLike, name: str = "--out") -> Path:
    """``out`` as a ``Path``, checked to be a folder or nothing yet (it is created later).

    Raises:
        NotADirectoryError: ``out`` is a file (or names one among its parents).
    """
    path = Path(out)
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            where = "" if folder == path else f": {folder}"
            raise NotADirectoryError(f"{name} {path}{where} is a file; give a folder")
    return path


def check_output_file(
    out: str | os.PathLike, source: str | os.PathLike | None = None, name: str = "--out"
) -> Path:
    """``out`` as a ``Path``, checked to be a file to write that is not ``source``.

    The file the output is made from is never overwritten by it: ``out`` naming the same file
    as ``source`` (the same path, a symbolic or a hard link to it) is refused.

    Raises:
        IsADirectoryError: ``out`` is a folder.
        ValueError: ``out`` is ``source``.
    """
    path = Path(out)
    if path.is_dir():
        raise IsADirectoryError(f"{name} {path} is a folder; give the file to write")
    if source is not None and _same_file(path, Path(source)):
        raise ValueError(
            f"{name} {path} is the input file {source}: writing it would overwrite the input; "
            "give another output file"
        )
    return path


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one existing file (through symbolic or hard links too)."""
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()


def check_new_folder(out: str | os.PathLike) -> Path:
    """``out`` as a ``Path``, checked to be a new or an empty folder: a dataset is never
    written over other files (``make_shapes.py``, ``convert_dataset.py``).

    Raises:
        NotADirectoryError: ``out`` is a file, or a file stands where a folder above it belongs.
        ValueError: ``out`` is a folder that is not empty.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"the output folder {path} is a file; give a new folder")
    for folder in path.parents:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(
                f"the output folder {path} cannot be made: {folder} is a file; give a new folder"
            )
    if path.is_dir() and any(path.iterdir()):
        raise ValueError(
            f"the output folder {path} exists and is not empty: choose a new folder or remove it"
        )
    return path

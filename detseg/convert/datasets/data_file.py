"""``<dst>/data.yaml``: the ``data`` config section of a converted dataset.

The file holds ``data:`` with ``format``, ``root`` (the absolute output folder) and the keys of
:data:`detseg.data.registry.DATA_DEFAULTS` that point the ``train`` and ``val`` roles at the
written splits: a detseg data file (``tools/train.py CONFIG --data <dst>/data.yaml``, see
:mod:`detseg.config.data_file`) whose section ``detseg.data.build_dataset`` also takes. The
``train`` role is the split named ``train`` (else ``trainval``, else the first split whose name
starts with ``train``, else the first split); ``val`` is ``val`` (else a split starting with
``val``, else ``test``); names match in any case (``Train``, ``Valid``). A role without a split
keeps the format's defaults.

``root`` is absolute because the data-file loader keeps a relative ``root`` relative to the
current directory (as in configs), not to the data file's folder: ``root: .`` would name
wherever a tool is started. So a copied or moved dataset folder still points at the original
one (training, evaluation and ``tools/check_data.py`` say so in a warning,
:func:`detseg.config.data_root.warn_root_elsewhere`); give the copy ``--set data.root=<copy>``
or rewrite its ``root``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

__all__ = ["data_section", "split_roles", "write_data_file"]

logger = logging.getLogger(__name__)


def split_roles(splits: list[str]) -> dict[str, str]:
    """``{"train": split, "val": split}`` for the roles that have a split (rules above).

    Names match whatever their case (a Roboflow or CVAT export's ``Train`` / ``Validation``,
    as the evaluation-split warning of :func:`write_data_file` reads them); a role keeps the
    split's own spelling, the name of its written folder or list.
    """
    lower = {s: s.lower() for s in splits}

    def named(*names: str) -> list[str]:
        return [s for name in names for s in splits if lower[s] == name]

    def starting(prefix: str) -> list[str]:
        return [s for s in splits if lower[s].startswith(prefix)]

    roles: dict[str, str] = {}
    train = named("train", "trainval") + starting("train") + splits[:1]
    if train:
        roles["train"] = train[0]
    val = named("val") + starting("val") + named("test")
    if val:
        roles["val"] = val[0]
    return roles


def _role_keys(fmt: str, role: str, split: str) -> dict[str, Any]:
    if fmt == "coco":
        return {
            f"{role}_images": f"{split}/images",
            f"{role}_ann": f"annotations/instances_{split}.json",
        }
    if fmt == "voc":
        return {f"{role}_split": split}
    return {f"{role}_images": f"images/{split}"}


def data_section(fmt: str, root: Path, splits: list[str], classes: list[str]) -> dict[str, Any]:
    """The ``data`` config section of a dataset written in ``fmt`` at ``root``.

    Args:
        fmt: ``"coco"``, ``"voc"`` or ``"yolo"``.
        root: The dataset folder (written as an absolute path).
        splits: The written split names.
        classes: The class names, written for VOC (a VOC reader without them takes the sorted
            names of the xml files, another label order).
    """
    section: dict[str, Any] = {"format": fmt, "root": str(root.resolve())}
    for role, split in split_roles(splits).items():
        section.update(_role_keys(fmt, role, split))
    if fmt == "voc":
        section["classes"] = list(classes)
    if fmt == "yolo":
        section["classes"] = "classes.txt"
    return section


def write_data_file(fmt: str, root: Path, splits: list[str], classes: list[str]) -> Path:
    """Write ``<root>/data.yaml`` (``{"data": data_section(...)}``) and return its path; warn
    when the ``train`` role falls to an evaluation split (``--splits val test``: ``val``, the
    ``val`` role's own), not when a dataset's one split has another name (a CVAT export's
    ``default``)."""
    roles = split_roles(splits)
    train = roles.get("train", "")
    if train == roles.get("val") or train.lower().startswith(("val", "test", "minival")):
        same = " (the val role's split too)" if roles.get("val") == roles["train"] else ""
        logger.warning(
            "no train split among the splits written (%s): %s/data.yaml trains on '%s'%s; "
            "convert the training split too (--splits train ...) before training on it",
            ", ".join(splits),
            root,
            train,
            same,
        )
    path = root / "data.yaml"
    section = data_section(fmt, root, splits, classes)
    # names and paths as written (carré, not "carr\xE9"): the file is UTF-8 and read as such
    text = yaml.safe_dump({"data": section}, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path

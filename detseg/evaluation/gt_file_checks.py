"""What scoring a predictions file needs of a COCO ground truth beyond what COCOeval reads.

The dataset readers refuse a json whose images lack a ``file_name`` or whose categories lack or
share a ``name`` (:mod:`detseg.data.coco_json`): a dataset reads its images by file name and
names its classes. Scoring a predictions file (``tools/eval.py --gt/--pred``,
:mod:`detseg.evaluation.prediction_files_eval`) matches images and categories by id instead:

- the file names matter only where images are found by them (``images_dir`` draws the worst
  images; records with a ``file_name``, as ``tools/infer.py`` writes them, take the id of the
  image of that name): there the readers' check applies (:func:`check_gt_file_names`);
- the category names only label the per-class tables, which strip them, name a category without a
  name (or a blank one) by its id and add `` (id N)`` to a shared name
  (:func:`~detseg.evaluation.coco_per_class.category_names`): the numbers stay right, so these
  get one warning (:func:`warn_about_category_names`), by the tables' rule of what a name is.

A ground truth without images, which the readers refuse too, is scored and reported as such
(``report.html`` says that nothing was evaluated); predictions against one without categories
are refused as predictions of no gt category.
"""

from __future__ import annotations

import logging

from detseg.data.coco_json import check_file_names, shared_names
from detseg.evaluation.coco_per_class import stripped_name

logger = logging.getLogger(__name__)


def check_gt_file_names(gt: dict, source: str) -> None:
    """The dataset readers' check of ``images[].file_name`` (a non-empty string), for an
    evaluation that finds images by their file names.

    Raises:
        ValueError: ``"gt.json: images[1] (id 2) has 'file_name' null; it must be the image's
            path relative to the images folder, as a string"``.
    """
    check_file_names(source, gt["images"])


def warn_about_category_names(gt: dict, source: str) -> None:
    """One warning naming the categories of ``gt`` without a ``name`` (absent, ``null``, empty
    or blank) and those sharing a name, which the per-class tables tell apart by id.

    The names are read as the tables read them
    (:func:`~detseg.evaluation.coco_per_class.stripped_name`): ``'cat'`` and ``'cat '`` are one
    name, shown as the json writes them (``'cat': ids [1, 2] (written 'cat', 'cat ')``)."""
    categories = gt["categories"]
    named = [{"id": c["id"], "name": stripped_name(c)} for c in categories if stripped_name(c)]
    unnamed = [c["id"] for c in categories if not stripped_name(c)]
    shared = shared_names(named)
    problems = []
    if unnamed:
        problems.append(f"categories {unnamed} have no 'name' (tables name them by id)")
    if shared:
        written = {c["id"]: c["name"] for c in categories if stripped_name(c)}
        listed = "; ".join(
            f"{name!r}: ids {ids}{_as_written([written[i] for i in ids])}"
            for name, ids in shared.items()
        )
        problems.append(f"categories share a name ({listed}; tables add ' (id N)' to it)")
    if problems:
        logger.warning(
            "%s: %s; give every category of its 'categories' list a distinct 'name'",
            source,
            "; ".join(problems),
        )


def _as_written(names: list[object]) -> str:
    """`` (written 'cat', 'cat ')`` where the json writes one stripped name in several ways,
    else nothing."""
    spellings = list(dict.fromkeys(names))
    return f" (written {', '.join(map(repr, spellings))})" if len(spellings) > 1 else ""

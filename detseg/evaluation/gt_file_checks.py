"""What scoring a predictions file needs of a COCO ground truth beyond what COCOeval reads.

The dataset readers refuse a json whose images lack a ``file_name`` or whose categories lack or
share a ``name`` (:mod:`detseg.data.coco_json`): a dataset reads its images by file name and
names its classes. Scoring a predictions file (``tools/eval.py --gt/--pred``,
:mod:`detseg.evaluation.prediction_files_eval`) matches images and categories by id instead:

- the file names matter only where images are found by them (``images_dir`` draws the worst
  images; records with a ``file_name``, as ``tools/infer.py`` writes them, take the id of the
  image of that name): there the readers' check applies (:func:`check_gt_file_names`);
- the category names only label the per-class tables, which name a category without a name by
  its id and add `` (id N)`` to a shared name
  (:func:`~detseg.evaluation.coco_per_class.category_names`): the numbers stay right, so these
  get one warning (:func:`warn_about_category_names`).

A ground truth without images, which the readers refuse too, is scored and reported as such
(``report.html`` says that nothing was evaluated); predictions against one without categories
are refused as predictions of no gt category.
"""

from __future__ import annotations

import logging

from detseg.data.coco_json import check_file_names, shared_names

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
    """One warning naming the categories of ``gt`` without a ``name`` (absent, ``null`` or
    empty) and those sharing a name, which the per-class tables tell apart by id."""
    named = [c for c in gt["categories"] if c.get("name") not in (None, "")]
    unnamed = [c["id"] for c in gt["categories"] if c.get("name") in (None, "")]
    shared = shared_names(named)
    problems = []
    if unnamed:
        problems.append(f"categories {unnamed} have no 'name' (tables name them by id)")
    if shared:
        listed = "; ".join(f"{name!r}: ids {ids}" for name, ids in shared.items())
        problems.append(f"categories share a name ({listed}; tables add ' (id N)' to it)")
    if problems:
        logger.warning(
            "%s: %s; give every category of its 'categories' list a distinct 'name'",
            source,
            "; ".join(problems),
        )

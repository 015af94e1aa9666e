"""The sidecar's ``category_ids``: the dataset's category id of each label. A COCO-trained
export's labels ``1..K`` could not be mapped back to COCO category ids from the export files:
the sidecar had the class names only, not the checkpoint's ``meta["cat_ids"]``."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from detseg.engine.checkpointing import load_checkpoint, save_checkpoint
from detseg.export import ExportError, export_model
from detseg.export.export_settings import checked_category_ids


def _with_cat_ids(checkpoint, path, cat_ids):
    state = load_checkpoint(checkpoint)
    state["meta"] = {**state["meta"], "cat_ids": cat_ids}
    save_checkpoint(path, state)
    return path


def test_the_sidecar_holds_the_checkpoints_category_ids(demo_checkpoint, tmp_path):
    checkpoint = _with_cat_ids(demo_checkpoint, tmp_path / "coco.pt", [1, 3, 7])
    result = export_model(checkpoint, tmp_path / "m.torchscript.pt", format="torchscript")
    sidecar = json.loads(result.sidecar.read_text())
    assert sidecar["classes"] == ["circle", "square", "triangle"]
    assert sidecar["category_ids"] == [1, 3, 7] and result.category_ids == (1, 3, 7)
    assert "category_ids[k - 1]" in sidecar["outputs"][2]["format"]


def test_without_stored_ids_the_labels_are_the_ids(tiny_model, tmp_path):
    result = export_model(tiny_model("unet"), tmp_path / "u.pt", format="torchscript")
    assert json.loads(result.sidecar.read_text())["category_ids"] == [1, 2, 3]


def test_ids_given_for_a_model_are_written(tiny_model, tmp_path):
    result = export_model(
        tiny_model("unet"), tmp_path / "u.pt", format="torchscript", category_ids=[5, 9, 2]
    )
    assert json.loads(result.sidecar.read_text())["category_ids"] == [5, 9, 2]


@pytest.mark.parametrize("cat_ids", [[1, 3], [1, 1, 2], [1, "3", 7]])
def test_stored_ids_that_do_not_fit_the_classes_are_one_line(demo_checkpoint, tmp_path, cat_ids):
    checkpoint = _with_cat_ids(demo_checkpoint, tmp_path / "bad.pt", cat_ids)
    with pytest.raises(ExportError, match=rf"^{re.escape(str(checkpoint))}: meta\.cat_ids"):
        export_model(checkpoint, tmp_path / "m.pt", format="torchscript")
    assert not (tmp_path / "m.pt").exists()


def test_ids_are_read_by_the_librarys_one_rule():
    """``export_model`` reads category ids as ``to_coco`` and the metrics do
    (:func:`~detseg.argument_checks.whole_ids`): whole floats as json holds them, an array."""
    assert checked_category_ids(np.array([3.0, 5.0]), 2, "category_ids") == (3, 5)
    assert checked_category_ids([3.0, 5], 2, "category_ids") == (3, 5)
    with pytest.raises(ExportError) as caught:
        checked_category_ids([3, 5.5], 2, "category_ids")
    assert str(caught.value).startswith("category_ids[1] is 5.5; category ids are whole numbers")
    with pytest.raises(ExportError) as caught:
        checked_category_ids("3,5", 2, "m.pt: meta.cat_ids")
    assert str(caught.value) == (
        "m.pt: meta.cat_ids must be a list of whole numbers, one category id per class (label k "
        "-> meta.cat_ids[k - 1]), got '3,5'"
    )


def test_ids_from_a_checkpoint_are_named_by_their_key(demo_checkpoint, tmp_path):
    """A checkpoint's ids are ``meta.cat_ids`` in the message, not the argument
    ``category_ids`` that the caller did not give."""
    checkpoint = _with_cat_ids(demo_checkpoint, tmp_path / "bad.pt", [1, "3", 7])
    with pytest.raises(ExportError) as caught:
        export_model(checkpoint, tmp_path / "m.pt", format="torchscript")
    assert str(caught.value) == (
        f"{checkpoint}: meta.cat_ids[1] is '3'; category ids are whole numbers, one per class "
        "(label k -> meta.cat_ids[k - 1])"
    )

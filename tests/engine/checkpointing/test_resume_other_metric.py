"""Resuming with another ``eval.metric`` than the run's (COCO AP against VOC mAP, or VOC07
against VOC12 mAP) is one line naming ``last.pt``, both scores and the run's ``config.yaml``:
the resumed run would compare its scores with a best score of the other number (``best.pt``
and ``train.patience``). Checkpoints record what picks ``best.pt`` in ``meta["score_by"]``."""

from __future__ import annotations

import pytest
from torch import nn

from detseg.engine.checkpointing import CheckpointError, save_checkpoint
from detseg.engine.training.model_setup import check_resume_weights
from detseg.engine.training.run_state import score_name


@pytest.fixture
def last(tmp_path):
    model = nn.Linear(2, 3)
    meta = {"score_by": score_name("detection", "coco")}
    state = {"model": model.state_dict(), "config": {}, "classes": ["a"], "meta": meta}
    save_checkpoint(tmp_path / "last.pt", state)
    return model, tmp_path / "last.pt"


def test_names_of_what_picks_best_pt():
    assert score_name("detection", "coco") == "AP (coco)"
    assert score_name("detection", "voc07") == "voc_mAP (voc07)"
    assert score_name("detection", "voc12") != score_name("detection", "voc07")
    assert score_name("segmentation") == "mIoU"


@pytest.mark.parametrize("metric", ["voc07", "voc12"])
def test_another_metric_is_refused_in_one_line(last, metric):
    model, path = last
    with pytest.raises(CheckpointError) as info:
        check_resume_weights(model, path, {}, score_by=score_name("detection", metric))
    message = str(info.value)
    assert message.startswith(f"cannot resume from {path}: the run picks best.pt by AP (coco), ")
    assert f"voc_mAP ({metric})" in message and "eval.metric" in message
    assert str(path.parent / "config.yaml") in message and "\n" not in message


def test_the_same_metric_and_older_checkpoints_resume(last, tmp_path):
    """Not refused (a checkpoint without ``meta["score_by"]`` is not compared), and the
    checkpoints are only read."""
    model, path = last
    saved = path.read_bytes()
    assert check_resume_weights(model, path, {}, score_by="AP (coco)") is None
    assert check_resume_weights(model, path, {}) is None  # not given: not compared
    older = tmp_path / "older" / "last.pt"
    save_checkpoint(older, {"model": model.state_dict(), "config": {}, "classes": [], "meta": {}})
    older_saved = older.read_bytes()
    assert check_resume_weights(model, older, {}, score_by="voc_mAP (voc07)") is None
    assert path.read_bytes() == saved and older.read_bytes() == older_saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt", "older"]
    assert [p.name for p in older.parent.iterdir()] == ["last.pt"]

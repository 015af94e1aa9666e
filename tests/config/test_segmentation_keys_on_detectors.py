"""``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` shape a segmenter's label maps; on a
detector's config they are named in one warning when the config is loaded, not ignored in
silence."""

from __future__ import annotations

import logging

from detseg.config import config_from_dict

DETECTOR = {"model": {"name": "faster_rcnn"}}
SEGMENTER = {"model": {"name": "unet"}}
SEG_SETTINGS = ["eval.tta=dihedral", "eval.crf.iterations=5"]


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_segmentation_settings_on_a_detector_are_named(caplog):
    with caplog.at_level(logging.WARNING):
        config_from_dict(DETECTOR, "det.yaml", overrides=SEG_SETTINGS)
    (message,) = _warnings(caplog)
    assert message == (
        "det.yaml: eval.tta=dihedral, eval.crf.iterations=5 only apply to semantic segmentation "
        "models (evaluation and inference); faster_rcnn is a detector and ignores them: "
        "remove them from the config, or reset them with --set eval.tta=none "
        "eval.crf.iterations=0"
    )


def test_a_checkpoint_config_read_twice_warns_once(caplog):
    raw = {**DETECTOR, "eval": {"tta_scales": [1.0, 1.5]}}
    with caplog.at_level(logging.WARNING):
        config_from_dict(raw, "twice.pt")
        config_from_dict(raw, "twice.pt")
    (message,) = _warnings(caplog)
    assert message.startswith("twice.pt: eval.tta_scales=[1.0, 1.5] only apply")
    assert message.endswith("--set eval.tta_scales=[1.0]")


def test_segmenters_and_default_settings_say_nothing(caplog):
    with caplog.at_level(logging.WARNING):
        config_from_dict(SEGMENTER, "seg.yaml", overrides=SEG_SETTINGS)
        config_from_dict(DETECTOR, "plain.yaml", overrides=["eval.score_threshold=0.5"])
    assert _warnings(caplog) == []

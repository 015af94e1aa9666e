"""predict on a model left in train mode (``predictor.model.train()`` to fine-tune it): the
results of eval mode, batch-norm statistics untouched, each submodule's mode given back."""

from __future__ import annotations

import numpy as np
import torch

import detseg


def _image() -> np.ndarray:
    """``uint8 [48, 64, 3]`` RGB noise."""
    return np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)


def test_a_detector_in_train_mode_predicts_as_in_eval_mode_and_stays_in_train_mode(
    detector_checkpoint,
):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    expected = predictor.predict(_image())
    predictor.model.train()
    found = predictor.predict(_image())
    assert len(found) == len(expected) > 0
    assert found.labels.tolist() == expected.labels.tolist()
    torch.testing.assert_close(found.boxes, expected.boxes)
    torch.testing.assert_close(found.scores, expected.scores)
    assert all(module.training for module in predictor.model.modules())


def test_a_segmenter_in_train_mode_keeps_its_batch_norm_statistics(segmenter_checkpoint):
    predictor = detseg.load(segmenter_checkpoint, device="cpu")
    expected = predictor.predict(_image())
    buffers = {name: value.clone() for name, value in predictor.model.named_buffers()}
    assert any("running_mean" in name for name in buffers)
    predictor.model.train()
    found = predictor.predict(_image())
    for name, value in predictor.model.named_buffers():
        assert torch.equal(value, buffers[name]), name
    torch.testing.assert_close(found.probabilities, expected.probabilities)
    assert predictor.model.training


def test_each_submodule_gets_its_own_mode_back(segmenter_checkpoint):
    predictor = detseg.load(segmenter_checkpoint, device="cpu")
    predictor.model.train()
    norms = [m for m in predictor.model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:  # frozen batch norms while the rest trains
        norm.eval()
    predictor.predict(_image())
    assert predictor.model.training
    assert norms and not any(norm.training for norm in norms)

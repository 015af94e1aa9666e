"""Test-time augmentation: views, their inverses, and the averaged prediction."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from detseg.segmentation.builders import unet
from detseg.segmentation.tta import TTA_MODES, predict_with_tta, tta_probabilities, tta_views


def _by_hand(model, images, rotations, mirrors):
    """Mean softmax over ``rot90^k`` (and ``rot90^k`` of the transpose), written with rot90."""
    total = 0
    for mirror in mirrors:
        base = images.transpose(-1, -2) if mirror else images
        for k in rotations:
            p = torch.rot90(model(torch.rot90(base, k, (-2, -1))).softmax(1), -k, (-2, -1))
            total = total + (p.transpose(-1, -2) if mirror else p)
    return total.argmax(dim=1)


def test_views_per_mode_and_their_inverses():
    x = torch.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)  # non-square: transposes show
    counts = {mode: len(tta_views(mode)) for mode in TTA_MODES}
    assert counts == {"none": 1, "hflip": 2, "flips": 4, "dihedral": 8}
    for mode in TTA_MODES:
        views = tta_views(mode)
        assert views[0] == (False, False, False) and len(set(views)) == len(views)
        for view in views:
            assert torch.equal(view.undo(view.apply(x)), x)
    seen = {tuple(v.apply(x).flatten().tolist()) for v in tta_views("dihedral")}
    assert len(seen) == 8  # eight different images, not repeats
    with pytest.raises(ValueError, match="unknown TTA mode 'rot'; valid: none, hflip"):
        tta_views("rot")


def test_dihedral_and_flips_match_a_rot90_implementation(asymmetric_segmenter):
    model = asymmetric_segmenter
    images = torch.rand(2, 3, 12, 12, dtype=torch.float64)
    dihedral = predict_with_tta(model, images, "dihedral")
    assert torch.equal(dihedral, _by_hand(model, images, range(4), (False, True)))
    assert len(dihedral.unique()) >= 3  # a real label map, not one class everywhere
    # flips: identity, left-right, up-down and both (= rot180).
    flips = predict_with_tta(model, images, "flips")
    by_hand = 0
    for dims in ((), (-1,), (-2,), (-2, -1)):
        flip = (lambda t, d=dims: t.flip(d)) if dims else (lambda t: t)
        by_hand = by_hand + flip(model(flip(images)).softmax(1))
    assert torch.equal(flips, by_hand.argmax(1))
    assert not torch.equal(dihedral, model.predict(images))  # the views do change the answer
    assert torch.equal(predict_with_tta(model, images, "none"), model.predict(images))


def test_a_symmetric_model_gains_nothing_and_a_unet_keeps_the_image_size():
    pointwise = nn.Conv2d(3, 5, 1).double()
    pointwise.predict = lambda x: pointwise(x).argmax(1)
    images = torch.rand(1, 3, 9, 7, dtype=torch.float64)
    assert torch.equal(predict_with_tta(pointwise, images, "dihedral"), pointwise.predict(images))
    model = unet(3, depth=2, base_channels=4).eval()
    labels = predict_with_tta(model, torch.rand(2, 3, 20, 28), "dihedral")
    assert labels.shape == (2, 20, 28) and labels.dtype == torch.int64
    assert 0 <= int(labels.min()) and int(labels.max()) <= 3


def test_predict_is_the_first_maximum_like_argmax():
    model = unet(2, depth=1, base_channels=4).eval()
    logits = torch.randint(0, 3, (2, 3, 8, 8)).float()  # many ties
    model.forward = lambda images: logits
    assert torch.equal(model.predict(torch.zeros(2, 3, 8, 8)), logits.argmax(dim=1))


def test_each_scale_resizes_the_images_and_the_answer_back(asymmetric_segmenter):
    model = asymmetric_segmenter
    images = torch.rand(2, 3, 12, 16, dtype=torch.float64)
    for scale, size in ((1.5, (18, 24)), (0.5, (6, 8))):
        scaled = F.interpolate(
            images, size=size, mode="bilinear", align_corners=False, antialias=scale < 1
        )
        by_hand = F.interpolate(
            model(scaled).softmax(1), size=(12, 16), mode="bilinear", align_corners=False
        )
        assert torch.allclose(tta_probabilities(model, images, "none", (scale,)), by_hand)
    # Several scales and views: the plain mean of every (scale, view) answer.
    both = tta_probabilities(model, images, "hflip", (1.0, 1.5))
    one = [tta_probabilities(model, images, "hflip", (s,)) for s in (1.0, 1.5)]
    assert torch.allclose(both, (one[0] + one[1]) / 2)
    assert torch.allclose(both.sum(dim=1), torch.ones(2, 12, 16, dtype=torch.float64))
    assert not torch.equal(both.argmax(1), one[0].argmax(1))  # the scale changes the answer
    with pytest.raises(ValueError, match="scales"):
        tta_probabilities(model, images, "none", (1.0, 0.0))


def test_a_unet_keeps_the_image_size_at_odd_scales():
    model = unet(3, depth=2, base_channels=4).eval()
    labels = predict_with_tta(model, torch.rand(2, 3, 20, 28), "hflip", (1.0, 1.25, 0.75))
    assert labels.shape == (2, 20, 28) and labels.dtype == torch.int64

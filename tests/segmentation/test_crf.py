"""The locally connected CRF: against an explicit fully connected CRF, and on a moved border."""

import math

import pytest
import torch

from detseg.segmentation.crf import LocalCRF


def _fully_connected_by_hand(probabilities, images, crf):
    """Mean field with an explicit ``N x N`` kernel matrix (float64), every pixel pair."""
    _, c, h, w = probabilities.shape
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    positions = torch.stack([ys.flatten(), xs.flatten()], 1).double()  # [N, 2]
    colours = images[0].double().mul(255).flatten(1).T  # [N, 3]
    distance2 = torch.cdist(positions, positions).square()
    colour2 = torch.cdist(colours, colours).square()
    kernel = crf.appearance_weight * torch.exp(
        -distance2 / (2 * crf.spatial_sigma**2) - colour2 / (2 * crf.color_sigma**2)
    ) + crf.smoothness_weight * torch.exp(-distance2 / (2 * crf.smoothness_sigma**2))
    kernel.fill_diagonal_(0)  # no message from a pixel to itself
    unary = probabilities[0].double().flatten(1).T.log()  # [N, C]
    q = unary.exp()
    for _ in range(crf.iterations):
        q = (unary + kernel @ q).softmax(dim=1)
    return q.T.reshape(1, c, h, w)


def test_a_window_covering_the_image_is_the_fully_connected_crf():
    torch.manual_seed(0)
    probabilities = torch.randn(1, 4, 5, 6).mul(2).softmax(dim=1)
    images = torch.rand(1, 3, 5, 6)
    crf = LocalCRF(
        iterations=3,
        radius=6,  # >= every pixel distance: all pairs take part
        spatial_sigma=2.0,
        color_sigma=60.0,
        appearance_weight=1.3,
        smoothness_weight=0.7,
        smoothness_sigma=1.5,
    )
    refined = crf(probabilities, images)
    expected = _fully_connected_by_hand(probabilities, images, crf)
    assert torch.allclose(refined.double(), expected, atol=1e-5)
    assert not torch.allclose(refined, probabilities, atol=1e-2)  # it did change them
    assert torch.allclose(refined.sum(dim=1), torch.ones(1, 5, 6), atol=1e-6)


def test_a_small_window_keeps_only_near_neighbours():
    """Radius 1 against the explicit kernel with pairs farther than one pixel removed."""
    torch.manual_seed(1)
    probabilities = torch.randn(1, 3, 4, 5).softmax(dim=1)
    images = torch.rand(1, 3, 4, 5)
    crf = LocalCRF(iterations=2, radius=1, spatial_sigma=1.0, color_sigma=80.0)
    ys, xs = torch.meshgrid(torch.arange(4), torch.arange(5), indexing="ij")
    pos = torch.stack([ys.flatten(), xs.flatten()], 1)
    near = (pos[:, None] - pos[None]).abs().amax(dim=2) <= 1  # the 3 x 3 window
    colours = images[0].double().mul(255).flatten(1).T
    kernel = torch.exp(
        -torch.cdist(pos.double(), pos.double()).square() / 2
        - torch.cdist(colours, colours).square() / (2 * 80.0**2)
    )
    kernel = kernel * near
    kernel.fill_diagonal_(0)
    unary = probabilities[0].double().flatten(1).T.log()
    q = unary.exp()
    for _ in range(2):
        q = (unary + kernel @ q).softmax(dim=1)
    expected = q.T.reshape(1, 3, 4, 5)
    assert torch.allclose(crf(probabilities, images).double(), expected, atol=1e-5)


def _two_colour_border(colour_right):
    """16 x 16 image, columns >= 8 in ``colour_right``, and probabilities whose class-1 border
    sits 2 px too far left (class 1 wins from column 6)."""
    images = torch.full((1, 3, 16, 16), 0.2)
    images[..., 8:] = torch.tensor(colour_right).view(1, 3, 1, 1)
    columns = torch.arange(16).float()
    p1 = torch.sigmoid((columns - 5.5) * 0.5).expand(16, 16)
    probabilities = torch.stack([1 - p1, p1])[None]  # [1, 2, 16, 16]
    return probabilities, images


def test_the_border_moves_onto_the_colour_edge():
    probabilities, images = _two_colour_border([0.9, 0.6, 0.1])
    truth = (torch.arange(16) >= 8).long().expand(16, 16)
    assert (probabilities.argmax(dim=1)[0] != truth).sum() == 2 * 16  # columns 6 and 7
    refined = LocalCRF()(probabilities, images)
    assert torch.equal(refined.argmax(dim=1)[0], truth)


def test_without_a_colour_edge_the_border_stays():
    """Same probabilities on a one-colour image: the appearance term has no edge to snap to."""
    probabilities, images = _two_colour_border([0.2, 0.2, 0.2])
    refined = LocalCRF()(probabilities, images)
    assert torch.equal(refined.argmax(dim=1), probabilities.argmax(dim=1))


def test_zero_iterations_return_the_input_and_bad_arguments_raise():
    probabilities = torch.rand(2, 3, 4, 4).softmax(dim=1)
    images = torch.rand(2, 3, 4, 4)
    assert LocalCRF(iterations=0)(probabilities, images) is probabilities
    with pytest.raises(ValueError, match="share batch size"):
        LocalCRF()(probabilities, images[:, :, :3])
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        LocalCRF()(probabilities, images[:, :2])
    with pytest.raises(ValueError, match="radius"):
        LocalCRF(radius=0)
    with pytest.raises(ValueError, match="color_sigma"):
        LocalCRF(color_sigma=0)


def test_window_weights_are_the_gaussians():
    crf = LocalCRF(radius=1, spatial_sigma=2.0, color_sigma=10.0, smoothness_weight=0.5)
    images = torch.zeros(1, 3, 1, 2)
    images[0, :, 0, 1] = torch.tensor([10, 0, 0]) / 255  # right pixel: 10 levels more red
    weights = crf.pairwise_weights(images)  # [8, 1, 1, 2]
    right = crf.offsets().index((0, 1))
    expected = math.exp(-1 / 8 - 100 / 200) + 0.5 * math.exp(-1 / 2)
    assert weights[right, 0, 0, 0].item() == pytest.approx(expected, rel=1e-5)

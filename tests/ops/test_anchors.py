"""AnchorGenerator: written anchors and bit-exact parity with torchvision's twin."""

import pytest
import torch
from torchvision.models.detection.anchor_utils import AnchorGenerator as TVAnchorGenerator
from torchvision.models.detection.image_list import ImageList

from detseg.ops import AnchorGenerator

FPN_SIZES = ((32,), (64,), (128,), (256,), (512,))
RETINA_SIZES = tuple(
    (x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in (32, 64, 128, 256, 512)
)


def _torchvision_anchors(sizes, ratios, image_size, feature_sizes, dtype):
    generator = TVAnchorGenerator(sizes, ratios)
    batch = torch.zeros(2, 3, *image_size, dtype=dtype)
    images = ImageList(batch, [image_size, image_size])
    features = [torch.zeros(2, 1, h, w, dtype=dtype) for h, w in feature_sizes]
    per_image = generator(images, features)
    assert torch.equal(per_image[0], per_image[1])
    return per_image[0]


def test_written_anchors_and_order():
    gen = AnchorGenerator(sizes=((16,),), aspect_ratios=((1.0, 4.0),))
    assert gen.num_anchors_per_location() == [2]
    anchors = gen((8, 16), [(2, 4)])  # stride (4, 4)
    assert anchors.shape == (2 * 4 * 2, 4)
    # ratio 1: 16 x 16; ratio 4 (h / w): w = 16 / 2 = 8, h = 16 * 2 = 32
    expected_first = torch.tensor(
        [
            [-8.0, -8.0, 8.0, 8.0],  # y=0, x=0, anchor 0
            [-4.0, -16.0, 4.0, 16.0],  # y=0, x=0, anchor 1
            [-4.0, -8.0, 12.0, 8.0],  # y=0, x=4, anchor 0
            [0.0, -16.0, 8.0, 16.0],  # y=0, x=4, anchor 1
        ]
    )
    assert torch.equal(anchors[:4], expected_first)
    # the first anchor of row y=1 sits at (0, 4)
    assert torch.equal(anchors[8], torch.tensor([-8.0, -4.0, 8.0, 12.0]))


def test_rounding_of_cell_anchors():
    # 32 at ratio 0.5: w = 32 * sqrt(2) = 45.25 -> half 22.63 -> 23; h half 11.31 -> 11
    gen = AnchorGenerator(((32,),), ((0.5,),))
    assert gen.cell_anchors[0].tolist() == [[-23.0, -11.0, 23.0, 11.0]]
    # half-way values round to even, as torch.round does: 5 / 2 = 2.5 -> 2
    gen = AnchorGenerator(((5,),), ((1.0,),))
    assert gen.cell_anchors[0].tolist() == [[-2.0, -2.0, 2.0, 2.0]]


def test_integer_stride_and_levels():
    gen = AnchorGenerator(((10,), (20,)), ((1.0,), (1.0,)))
    anchors = gen((30, 31), [(4, 4), (2, 2)])  # strides (7, 7) and (15, 15)
    assert anchors.shape == (16 + 4, 4)
    assert torch.equal(anchors[3], torch.tensor([21.0 - 5, -5.0, 21.0 + 5, 5.0]))
    assert torch.equal(anchors[16 + 3], torch.tensor([15.0 - 10, 15.0 - 10, 15.0 + 10, 15.0 + 10]))


@pytest.mark.parametrize(
    ("sizes", "ratios", "image_size", "feature_sizes"),
    [
        (((128, 256, 512),), ((0.5, 1.0, 2.0),), (96, 128), [(6, 8)]),
        (
            FPN_SIZES,
            ((0.5, 1.0, 2.0),) * 5,
            (128, 160),
            [(32, 40), (16, 20), (8, 10), (4, 5), (2, 3)],
        ),
        (
            RETINA_SIZES,
            ((0.5, 1.0, 2.0),) * 5,
            (101, 133),
            [(13, 17), (7, 9), (4, 5), (2, 3), (1, 2)],
        ),
        (((7, 13), (21,)), ((0.3, 1.7), (1.0, 2.5, 0.4)), (64, 50), [(9, 7), (3, 3)]),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_parity_with_torchvision(sizes, ratios, image_size, feature_sizes, dtype):
    ours = AnchorGenerator(sizes, ratios)(image_size, feature_sizes, dtype=dtype, device="cpu")
    theirs = _torchvision_anchors(sizes, ratios, image_size, feature_sizes, dtype)
    assert ours.dtype == theirs.dtype == dtype
    assert torch.equal(ours, theirs)
    per_location = AnchorGenerator(sizes, ratios).num_anchors_per_location()
    assert ours.shape == (
        sum(h * w * a for (h, w), a in zip(feature_sizes, per_location, strict=True)),
        4,
    )


def test_bad_configuration_raises():
    with pytest.raises(ValueError, match="tuple of non-empty tuples"):
        AnchorGenerator((32, 64), ((1.0,), (1.0,)))
    with pytest.raises(ValueError, match="levels"):
        AnchorGenerator(((32,), (64,)), ((1.0,),))
    gen = AnchorGenerator(((32,), (64,)), ((1.0,), (1.0,)))
    with pytest.raises(ValueError, match="feature maps"):
        gen((64, 64), [(8, 8)])

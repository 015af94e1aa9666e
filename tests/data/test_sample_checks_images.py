"""The images of a dataset of one's own, and boxes without labels, are checked where loaded.

A dataset passed to ``build_loader`` / ``build_train_loader`` may return its image as the
library read it: a numpy array, a PIL image, an ``[H, W, 3]`` or ``uint8`` tensor, a grayscale
or batched tensor, or 0..255 floats (``image.float()`` of a ``uint8`` picture, which trains
without a word on inputs 255 times too bright). Or a target with ``boxes`` and no ``labels``.
Each is one ``TargetError`` line naming the dataset item (index and image file) and the fix,
while detseg's own images, augmented (values up to about 1.27 after a cubic resampling), pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from PIL import Image
from torch.utils.data import Dataset

from detseg.config import load_config
from detseg.data.loader import build_loader
from detseg.data.registry import build_dataset
from detseg.data.sample_checks import IMAGE_MAX, TargetError, check_sample
from detseg.data.seg_loader import build_segmentation_loader
from detseg.data.shapes import generate_shapes
from detseg.data.train_loader import build_train_loader
from detseg.data.transforms import build_augmentations

SIZE = 16
DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def picture() -> torch.Tensor:
    """A ``uint8 [3, H, W]`` picture whose brightest pixel is 255."""
    image = torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8)
    image[0, 0, 0] = 255
    return image


def good_target() -> dict:
    return {"boxes": torch.tensor([[2.0, 2.0, 10.0, 12.0]]), "labels": torch.tensor([1])}


#: case -> (item 1's image, what the one line must say after the item's name)
BAD_IMAGES = {
    "numpy array": (
        lambda: picture().permute(1, 2, 0).numpy(),
        r"image is a numpy array of shape \(16, 16, 3\) and dtype uint8, not a torch\.Tensor; "
        r".*torchvision\.transforms\.functional\.to_tensor\(image\)",
    ),
    "PIL image": (
        lambda: Image.fromarray(picture().permute(1, 2, 0).numpy()),
        r"image is a PIL Image \(mode RGB\), not a torch\.Tensor; .*"
        r"torchvision\.transforms\.functional\.to_tensor\(image\.convert\('RGB'\)\)",
    ),
    "HWC tensor": (
        lambda: torch.rand(SIZE, SIZE, 3),
        r"image has shape \(16, 16, 3\); images are \[3, H, W\] RGB: .*image\.permute\(2, 0, 1\)",
    ),
    "uint8 tensor": (
        picture,
        r"image has dtype torch\.uint8; images are floating point in \[0, 1\]: "
        r"image\.float\(\) / 255$",
    ),
    "2-D tensor": (
        lambda: torch.rand(SIZE, SIZE),
        r"image has shape \(16, 16\); .*grayscale .*image\.expand\(3, -1, -1\)",
    ),
    "grayscale [1, H, W]": (
        lambda: torch.rand(1, SIZE, SIZE),
        r"image has shape \(1, 16, 16\); .*grayscale .*image\.expand\(3, -1, -1\)",
    ),
    "4-D tensor": (
        lambda: torch.rand(1, 3, SIZE, SIZE),
        r"image has shape \(1, 3, 16, 16\); .*one image, not a batch: image\[0\]",
    ),
    "float 0..255": (
        lambda: picture().float(),
        r"image values reach 255; images are in \[0, 1\], not pixel values: divide by 255 "
        r"\(image\.float\(\) / 255",
    ),
    "ImageNet-normalised": (
        lambda: torchvision.transforms.functional.normalize(
            torch.rand(3, SIZE, SIZE), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
        ),
        r"image values go down to -\d\.\d+; images are in \[0, 1\], not normalised: the model "
        r"subtracts image_mean and divides by image_std itself, so drop the dataset's Normalize",
    ),
    # normalised images that also exceed IMAGE_MAX: "divide by 255" would be the wrong fix
    "mean-subtracted 0..255": (
        lambda: picture().float() - torch.tensor([123.7, 116.3, 103.5]).view(3, 1, 1),
        r"image values go down to -\d+\.?\d*; images are in \[0, 1\], not normalised: ",
    ),
    "standardised per image": (
        lambda: torch.linspace(-2.0, 4.0, 3 * SIZE * SIZE).view(3, SIZE, SIZE),
        r"image values go down to -2; images are in \[0, 1\], not normalised: ",
    ),
    # pixel values resampled with a bicubic kernel ring a little below 0 and above 255
    "0..255 with resampling ringing": (
        lambda: torch.linspace(-20.0, 280.0, 3 * SIZE * SIZE).view(3, SIZE, SIZE),
        r"image values reach 280; images are in \[0, 1\], not pixel values: divide by 255 ",
    ),
    "NaN": (
        lambda: torch.full((3, SIZE, SIZE), float("nan")),
        r"image holds nan; images are finite values in \[0, 1\]",
    ),
}


class UserDataset(Dataset):
    """Two items; item 1 holds the given image and target. Files ``photos/<index>.png``."""

    classes = ["cat"]
    image_ids = [10, 11]

    def __init__(self, image=None, target=None) -> None:
        self.image, self.target = image, target

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        if index == 0:
            return torch.rand(3, SIZE, SIZE), good_target()
        image = torch.rand(3, SIZE, SIZE) if self.image is None else self.image()
        return image, good_target() if self.target is None else self.target

    def image_path(self, index: int) -> Path:
        return Path("photos") / f"{index}.png"


ITEM_1 = r"^dataset item 1 \(photos[/\\]1\.png\): "


@pytest.mark.parametrize("case", list(BAD_IMAGES))
def test_a_bad_image_is_one_line_naming_the_item_and_the_fix(case):
    make, says = BAD_IMAGES[case]
    loader = build_loader(UserDataset(make), batch_size=2, shuffle=False, num_workers=0)
    with pytest.raises(TargetError, match=ITEM_1 + says) as caught:
        next(iter(loader))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("case", ["HWC tensor", "float 0..255"])
def test_the_training_loader_checks_the_image_too(case):
    make, says = BAD_IMAGES[case]
    loader = build_train_loader(UserDataset(make), batch_size=2, num_workers=0, seed=0)
    with pytest.raises(TargetError, match=ITEM_1 + says):
        next(iter(loader))


HALF_TARGETS = {
    "boxes without labels": (
        {"boxes": torch.tensor([[2.0, 2.0, 10.0, 12.0]])},
        r"target has 'boxes' but no 'labels'; .*labels an int64 tensor \[N\] of class numbers",
    ),
    "labels without boxes": (
        {"labels": torch.tensor([1])},
        r"target has 'labels' but no 'boxes'; .*boxes a float32 tensor \[N, 4\] of xyxy pixels",
    ),
}


@pytest.mark.parametrize("case", list(HALF_TARGETS))
def test_half_a_target_is_refused_by_the_training_loader(case):
    target, says = HALF_TARGETS[case]
    loader = build_train_loader(UserDataset(target=target), batch_size=2, num_workers=0, seed=0)
    with pytest.raises(TargetError, match=ITEM_1 + says):
        next(iter(loader))


def test_boxes_without_labels_are_refused_by_the_plain_loader_too():
    """Evaluation reads both as well (the ground truth of a dataset without ``coco_gt``)."""
    target, says = HALF_TARGETS["boxes without labels"]
    loader = build_loader(UserDataset(target=target), batch_size=2, shuffle=False)
    with pytest.raises(TargetError, match=ITEM_1 + says):
        next(iter(loader))


def test_items_to_predict_on_pass_both_loaders():
    dataset = UserDataset(target={"image_id": 11})
    [batch] = list(build_loader(dataset, batch_size=2, shuffle=False))
    assert batch.image_ids == [11]  # item 0's target has no image_id
    [batch] = list(build_train_loader(dataset, batch_size=2, num_workers=0, seed=0))
    assert len(batch) == 2


@pytest.mark.parametrize(
    "image",
    [
        torch.rand(SIZE, SIZE, 3).permute(2, 0, 1),  # a view, not contiguous
        torch.rand(SIZE, SIZE).expand(3, -1, -1),  # the grayscale fix
        torch.rand(3, SIZE, SIZE, dtype=torch.float16),
        torch.rand(3, SIZE, SIZE) * 1.27,  # a cubic resampling's ringing
        torch.rand(3, SIZE, SIZE) * 1.4 - 0.14,  # a Lanczos resampling's ringing below 0 too
    ],
)
def test_floating_point_images_up_to_the_limit_pass(image):
    """Passed as given (the check only reads the image), while the same image with one pixel
    over :data:`IMAGE_MAX` is refused."""
    given = image.clone()
    assert check_sample((image, good_target()), 0, None) is None
    assert torch.equal(image, given) and image.dtype == given.dtype
    over = image.clone()
    over[1, 3, 3] = 6.0  # twice IMAGE_MAX
    with pytest.raises(TargetError, match=r"^dataset item 0: image values reach 6; "):
        check_sample((over, good_target()), 0, None)


def test_the_limit_is_above_1_and_below_a_dark_pictures_max():
    """An ``image.float()`` whose brightest pixel is 4 (of 255) is refused; 1.27 is not."""
    assert 1.27 < IMAGE_MAX < 4
    dark = torch.zeros(3, SIZE, SIZE)
    dark[1, 3, 3] = 4.0
    with pytest.raises(TargetError, match=r"image values reach 4; .*divide by 255"):
        check_sample((dark, good_target()), 0, None)


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes") / "shapes"
    generate_shapes(root, num_train=6, num_val=1, size=64, progress=False)
    return root


@pytest.mark.parametrize(
    "extra",
    [
        [],  # the demo's pipeline as it is
        [  # its photometric transform always, and a Lanczos zoom that rings above 1
            {"name": "RandomBrightnessContrast", "p": 1.0},
            {"name": "ColorJitter", "brightness": 0.5, "saturation": 0.5, "hue": 0.1, "p": 1.0},
            {"name": "Affine", "scale": [1.5, 2.0], "interpolation": 4, "p": 1.0},
        ],
    ],
)
def test_the_shapes_training_items_pass_with_their_augmentations(shapes_root, extra):
    cfg = load_config(DEMO, {"data.root": str(shapes_root)})
    augmentations = build_augmentations([*cfg.data.augmentations, *extra], seed=0)
    train_set = build_dataset(cfg.data.dataset_kwargs(), "train", augmentations)
    loader = build_train_loader(train_set, batch_size=3, num_workers=0, seed=0)
    images = []
    for epoch in range(2):
        loader.batch_sampler.set_epoch(epoch)
        images += [image for batch in loader for image in batch.images]
    assert len(images) == 12
    highest = max(float(image.max()) for image in images)
    assert highest > 1.0 if extra else highest <= 1.0


def test_a_segmentation_loader_is_not_checked():
    class LabelMaps(Dataset):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, index: int):
            return picture().float(), torch.zeros(SIZE, SIZE, dtype=torch.int64)

    [batch] = list(build_segmentation_loader(LabelMaps(), batch_size=1, shuffle=False))
    assert float(batch.images.max()) == 255.0

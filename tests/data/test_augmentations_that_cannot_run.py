"""A transform that cannot run on a sample names the image file, its config item and the fix.

A fixed-size crop larger than one image of the dataset fails on that image only, inside a loader
worker; albumentations' own error names neither the file nor the config item. Detection, Mask
R-CNN and segmentation datasets stop with one line (a ``ValueError``, printed by the tools
without a traceback, from a worker too). ``MaskDropout`` reads a label map that a detection
sample does not have: a detection pipeline refuses it when it is built.
"""

from __future__ import annotations

import pytest
from user_error_line import user_error_line

from detseg.data.albumentations_import import A
from detseg.data.augmentation_errors import AugmentationError
from detseg.data.coco import CocoDetection
from detseg.data.loader import build_loader
from detseg.data.masks import ShapesSegmentation
from detseg.data.seg_loader import build_segmentation_loader
from detseg.data.seg_transforms import build_segmentation_augmentations
from detseg.data.shapes import generate_shapes
from detseg.data.transforms import build_augmentations, detection_bbox_params

SIZE = 64  # px, the side of every shapes image here
CROP = [{"name": "HorizontalFlip", "p": 0.5}, {"name": "RandomCrop", "height": 512, "width": 512}]
CROP_PLACE = "augmentations[1] (RandomCrop)"
CROP_ADVICE = "add PadIfNeeded(min_height=512, min_width=512) before it"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=2, num_val=1, size=SIZE, seed=0)
    return root


def detection(root, spec, load_masks=False):
    return CocoDetection(
        root / "train" / "images",
        root / "annotations" / "instances_train.json",
        augmentations=build_augmentations(spec, seed=0),
        load_masks=load_masks,
    )


def segmentation(root, spec):
    return ShapesSegmentation(root, "train", build_segmentation_augmentations(spec, seed=0))


def check_line(text: str, dataset, place: str = CROP_PLACE, advice: str = CROP_ADVICE) -> None:
    assert "\n" not in text
    assert text.startswith(f"{dataset.image_path(0)}: {place} cannot run on this 64 x 64 (W x H) ")
    assert advice in text


@pytest.mark.parametrize(
    "make", [detection, lambda root, spec: detection(root, spec, True), segmentation]
)
def test_crop_larger_than_the_image_names_file_item_and_fix(shapes, make):
    dataset = make(shapes, CROP)
    with pytest.raises(AugmentationError) as info:
        dataset[0]
    assert isinstance(info.value, ValueError)  # a user error for the tools
    check_line(str(info.value), dataset)
    assert info.value.path == dataset.image_path(0)
    assert "RandomSizedCrop" in str(info.value)
    image = make(shapes, [{"name": "RandomCrop", "height": 32, "width": 48}])[0][0]
    assert tuple(image.shape) == (3, 32, 48)  # a crop that fits runs


@pytest.mark.parametrize("make", [detection, segmentation])
def test_nested_center_crop_is_named_in_its_place(shapes, make):
    spec = [{"name": "OneOf", "p": 1.0, "transforms": [{"name": "CenterCrop", "height": 32,
                                                         "width": 100, "p": 1.0}]}]  # fmt: skip
    dataset = make(shapes, spec)
    with pytest.raises(AugmentationError) as info:
        dataset[0]
    check_line(
        str(info.value),
        dataset,
        "augmentations[0].OneOf[0] (CenterCrop)",
        "add PadIfNeeded(min_height=32, min_width=100) before it",
    )


@pytest.mark.parametrize("num_workers", [0, 1])
@pytest.mark.parametrize("task", ["detection", "segmentation"])
def test_loader_error_is_one_line_in_the_tools(shapes, capsys, num_workers, task):
    if task == "detection":
        dataset, loader = detection(shapes, CROP), build_loader
    else:
        dataset, loader = segmentation(shapes, CROP), build_segmentation_loader

    def main() -> int:
        next(iter(loader(dataset, 1, False, num_workers)))
        return 0

    line = user_error_line(main, capsys)
    assert line.startswith("train: error: ")
    check_line(line.removeprefix("train: error: "), dataset)


@pytest.mark.parametrize(
    ("spec", "place"),
    [
        ([{"name": "HorizontalFlip"}, {"name": "MaskDropout", "p": 0.5}], r"augmentations\[1\]"),
        (
            [{"name": "OneOf", "transforms": [{"name": "Blur"}, {"name": "MaskDropout"}]}],
            r"augmentations\[0\]\.OneOf\[1\]",
        ),
    ],
)
def test_mask_dropout_is_refused_in_a_detection_pipeline(shapes, spec, place):
    message = rf"{place}: augmentation 'MaskDropout' cannot run in a detection pipeline: .*CoarseDr"
    with pytest.raises(ValueError, match=message) as info:
        build_augmentations(spec)
    assert "\n" not in str(info.value)
    image, mask = segmentation(shapes, spec)[0]  # a label map is what it needs
    assert tuple(image.shape) == (3, SIZE, SIZE)
    assert tuple(mask.shape) == (SIZE, SIZE)


def test_mask_dropout_in_a_detection_pipeline_of_ones_own_is_refused(shapes):
    pipeline = A.Compose([A.MaskDropout(p=1.0)], bbox_params=detection_bbox_params())
    with pytest.raises(ValueError, match=r"augmentations\[0\]: augmentation 'MaskDropout'"):
        CocoDetection(
            shapes / "train" / "images",
            shapes / "annotations" / "instances_train.json",
            augmentations=pipeline,
        )

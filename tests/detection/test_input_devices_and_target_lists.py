"""Inputs a researcher's own loop gets wrong, refused in one line before the network runs.

Images or targets on another device than the model (the ``meta`` device stands in for a GPU
here), and targets that are not a list of one dict per image (``None``, a bare dict).
"""

from __future__ import annotations

import pytest
import torch

from detseg.models import build_model

SECTIONS = {
    "faster_rcnn": {"name": "faster_rcnn", "backbone": "resnet18", "fpn": False},
    "mask_rcnn": {"name": "mask_rcnn", "backbone": "resnet18", "fpn": False},
    "retinanet": {"name": "retinanet", "backbone": "resnet18"},
    "yolov3": {"name": "yolov3_resnet18", "input_size": 64},
}


@pytest.fixture(scope="module", params=sorted(SECTIONS))
def detector(request: pytest.FixtureRequest) -> torch.nn.Module:
    section = dict(SECTIONS[request.param])
    if "input_size" not in section:
        section.update(min_size=64, max_size=64)
    torch.manual_seed(0)
    return build_model(section, num_classes=3)


def _target() -> dict[str, torch.Tensor]:
    masks = torch.zeros(1, 64, 64, dtype=torch.uint8)
    masks[0, 10:40, 10:40] = 1
    return {
        "boxes": torch.tensor([[10.0, 10.0, 40.0, 40.0]]),
        "labels": torch.tensor([1]),
        "masks": masks,
    }


def test_image_on_another_device_is_named(detector: torch.nn.Module) -> None:
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64, device="meta")]
    with pytest.raises(ValueError, match=r"image 1 is on meta but the model is on cpu"):
        detector.losses(images, [_target(), _target()])
    detector.eval()
    with pytest.raises(ValueError, match=r"image 1 is on meta but the model is on cpu"):
        detector.predict(images)


def test_target_on_another_device_is_named(detector: torch.nn.Module) -> None:
    target = {**_target(), "labels": torch.tensor([1], device="meta")}
    with pytest.raises(ValueError, match=r"target of image 0: 'labels' is on meta .* on cpu"):
        detector.losses([torch.rand(3, 64, 64)], [target])


def test_targets_not_a_list_of_dicts(detector: torch.nn.Module) -> None:
    image = torch.rand(3, 64, 64)
    with pytest.raises(TypeError, match=r"targets must be a list of dicts.*got NoneType"):
        detector.losses([image], None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got dict; wrap one image's dict in a list: \[target\]"):
        detector.losses([image], _target())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"target of image 1 must be a dict .* got Tensor"):
        detector.losses([image, image], [_target(), torch.zeros(1, 4)])  # type: ignore[list-item]

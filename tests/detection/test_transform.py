"""DetectionTransform: resize / pad arithmetic, box mapping and target validation."""

from __future__ import annotations

import pytest
import torch
from torchvision.models.detection.transform import GeneralizedRCNNTransform

from detseg.detection.transform import DetectionTransform, resize_boxes

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _target(boxes, labels):
    return {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)}


def test_resize_and_pad_by_hand():
    transform = DetectionTransform(50, 80, MEAN, STD).eval()
    # scale = min(50 / 100, 80 / 200) = 0.4 -> 40 x 80, padded to multiples of 32: 64 x 96
    batch, targets = transform([torch.rand(3, 100, 200)], [_target([[10, 20, 110, 70]], [1])])
    assert batch.image_sizes == [(40, 80)]
    assert batch.tensors.shape == (1, 3, 64, 96)
    assert torch.all(batch.tensors[0, :, 40:, :] == 0) and torch.all(
        batch.tensors[0, :, :, 80:] == 0
    )
    torch.testing.assert_close(targets[0]["boxes"], torch.tensor([[4.0, 8.0, 44.0, 28.0]]))


def test_normalisation_by_hand():
    transform = DetectionTransform(4, 4, (0.5, 0.25, 0.0), (0.5, 0.25, 2.0)).eval()
    batch, _ = transform([torch.ones(3, 4, 4)])
    assert batch.tensors.shape == (1, 3, 32, 32)
    torch.testing.assert_close(batch.tensors[0, :, 0, 0], torch.tensor([1.0, 3.0, 0.5]))


def test_fixed_size_is_height_width():
    transform = DetectionTransform(800, 1333, MEAN, STD, fixed_size=(48, 96)).eval()
    batch, targets = transform([torch.rand(3, 30, 40)], [_target([[0, 0, 40, 30]], [2])])
    assert batch.image_sizes == [(48, 96)]
    torch.testing.assert_close(targets[0]["boxes"], torch.tensor([[0.0, 0.0, 96.0, 48.0]]))


@pytest.mark.parametrize("sizes", [((160, 200), (224, 180)), ((31, 77), (120, 33), (64, 64))])
@pytest.mark.parametrize("min_size,max_size", [(128, 256), (800, 1333), (100, 120)])
def test_matches_torchvision_in_eval_mode(sizes, min_size, max_size):
    torch.manual_seed(0)
    images = [torch.rand(3, h, w) for h, w in sizes]
    targets = [_target([[1.5, 2.0, w - 3.0, h - 1.0]], [1]) for h, w in sizes]
    ours = DetectionTransform(min_size, max_size, MEAN, STD).eval()
    theirs = GeneralizedRCNNTransform(min_size, max_size, list(MEAN), list(STD)).eval()
    batch, our_targets = ours(images, targets)
    tv_batch, tv_targets = theirs(images, [dict(t) for t in targets])
    assert torch.equal(batch.tensors, tv_batch.tensors)
    assert batch.image_sizes == [tuple(s) for s in tv_batch.image_sizes]
    for mine, tv in zip(our_targets, tv_targets, strict=True):
        assert torch.equal(mine["boxes"], tv["boxes"])
    detections = [{"boxes": t["boxes"], "scores": torch.ones(1)} for t in our_targets]
    back = ours.postprocess(detections, batch.image_sizes, list(sizes))
    tv_back = theirs.postprocess(
        [dict(d) for d in detections], tv_batch.image_sizes, [tuple(s) for s in sizes]
    )
    for mine, tv, target in zip(back, tv_back, targets, strict=True):
        assert torch.equal(mine["boxes"], tv["boxes"])
        torch.testing.assert_close(mine["boxes"], target["boxes"], atol=1e-4, rtol=0)


def test_targets_are_not_modified():
    target = _target([[1, 1, 5, 5]], [1])
    original = target["boxes"].clone()
    DetectionTransform(64, 64, MEAN, STD).eval()([torch.rand(3, 16, 16)], [target])
    assert torch.equal(target["boxes"], original)


def test_resize_boxes_by_hand():
    boxes = torch.tensor([[10.0, 10.0, 20.0, 40.0]])
    out = resize_boxes(boxes, (100, 50), (50, 100))  # h halves, w doubles
    torch.testing.assert_close(out, torch.tensor([[20.0, 5.0, 40.0, 20.0]]))


def test_empty_targets_are_valid():
    transform = DetectionTransform(32, 64, MEAN, STD, num_classes=3).eval()
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    image = torch.rand(3, 24, 40)
    batch, targets = transform([image], [empty])
    assert targets[0]["boxes"].shape == (0, 4) and targets[0]["boxes"].dtype == torch.float32
    assert targets[0]["labels"].shape == (0,) and targets[0]["labels"].dtype == torch.int64
    # the image goes through as an image with an object does
    one = {"boxes": torch.tensor([[1.0, 2.0, 9.0, 8.0]]), "labels": torch.tensor([1])}
    with_object, _ = transform([image], [one])
    assert batch.image_sizes == with_object.image_sizes == [(32, 53)]
    assert torch.equal(batch.tensors, with_object.tensors)


@pytest.mark.parametrize(
    "boxes,labels,message",
    [
        ([[5, 5, 5, 9]], [1], r"image 1: box 0 .* x2 <= x1"),
        ([[5, 5, 9, 2]], [1], r"image 1: box 0 .* y2 <= y1"),
        ([[1, 1, 2, 2], [0, 0, float("nan"), 3]], [1, 1], r"image 1: box 1 .* not finite"),
        ([[1, 1, 2, 2], [0, 0, float("inf"), 3]], [1, 1], r"image 1: box 1 .* not finite"),
        ([[1, 1, 4, 4]], [0], r"image 1: label 0 of box 0 is outside 1..3"),
        ([[1, 1, 4, 4]], [4], r"image 1: label 4 of box 0 is outside 1..3"),
        ([[1, 1, 4, 4]], [1, 2], r"image 1: labels must be \[N\] with N=1"),
    ],
)
def test_bad_targets_raise_naming_image_and_box(boxes, labels, message):
    transform = DetectionTransform(32, 64, MEAN, STD, num_classes=3).eval()
    good = _target([[1, 1, 4, 4]], [1])
    with pytest.raises(ValueError, match=message):
        transform([torch.rand(3, 16, 16)] * 2, [good, _target(boxes, labels)])


def test_integer_labels_of_wrong_dtype_raise():
    transform = DetectionTransform(32, 64, MEAN, STD, num_classes=3).eval()
    target = {"boxes": torch.tensor([[1.0, 1.0, 4.0, 4.0]]), "labels": torch.tensor([1.0])}
    with pytest.raises(TypeError, match="image 0: labels must be int64"):
        transform([torch.rand(3, 16, 16)], [target])


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [
        (
            (0.5, 0.5),
            (0.2, 0.2, 0.2),
            r"image_mean must have 3 values \(R, G, B\), got \[0.5, 0.5\]",
        ),
        ((0.5, 0.5, 0.5), (0.2,) * 4, "image_std must have 3 values"),
        ((0.5, 0.5, 0.5), (0.2, 0.0, 0.2), "image_std values must be > 0"),
    ],
)
def test_bad_normalisation_values_raise(mean, std, message):
    with pytest.raises(ValueError, match=message):
        DetectionTransform(64, 64, image_mean=mean, image_std=std)

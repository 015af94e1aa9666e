"""mIoU during training and in ``tools/eval.py`` against the metrics of the label maps themselves.

Batches of images of different sizes (padded by ``collate_segmentation``, some unreadable):
``validate`` (the training-time validation) and ``evaluate_segmentation`` must give exactly
``segmentation_metrics`` of each image predicted alone, at its own size (whatever the batch and
its padding), and the confusion matrices of a split into shards must sum to the matrix of the
whole.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from detseg.data.seg_loader import collate_segmentation
from detseg.engine.validation.segmentation import evaluate_segmentation
from detseg.engine.validation.sharded import validate
from detseg.evaluation.segmentation import ConfusionMatrix, segmentation_metrics
from detseg.segmentation.inference import SegmentationInference

NUM_LOGITS = 4


class ConvSegmenter(nn.Module):
    """A one-conv segmenter with the segmenter contract (forward, predict, losses).

    It centres its input first, as real segmenters normalise: the batch's zero padding is then
    not the conv's own zero padding, and pixels at an image's border see which one they get.
    """

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, NUM_LOGITS, 3, padding=1)

    def forward(self, images):
        return self.conv(images - 0.5)

    def predict(self, images):
        return self.forward(images).argmax(dim=1)

    def losses(self, images, masks):
        return {"loss_seg": F.cross_entropy(self.forward(images), masks, ignore_index=255)}


def batches_of_different_sizes():
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(7):
        h, w = (int(torch.randint(3, 12, (), generator=generator)) for _ in range(2))
        mask = torch.randint(0, NUM_LOGITS, (h, w), generator=generator)
        mask[torch.rand(h, w, generator=generator) < 0.2] = 255
        samples.append((torch.rand(3, h, w, generator=generator), mask))
    return [collate_segmentation([*samples[i : i + 3], None]) for i in range(0, 7, 3)]


def per_image_reference(model, batches, inference=None):
    inference = inference or SegmentationInference()
    preds, targets = [], []
    with torch.no_grad():
        for batch in batches:
            for k, (h, w) in enumerate(batch.image_sizes):
                preds.append(inference(model, batch.images[k : k + 1, :, :h, :w])[0])
                targets.append(batch.masks[k, :h, :w])
    return segmentation_metrics(preds, targets, NUM_LOGITS)


def assert_same_metrics(got, expected):
    for key in ("mIoU", "pixel_acc", "mean_acc", "fwIoU"):
        assert math.isclose(got[key], expected[key], rel_tol=1e-12), key
    assert got["confusion_matrix"] == expected["confusion_matrix"]


def test_collate_pads_images_with_0_and_masks_with_ignore():
    for batch in batches_of_different_sizes():
        assert batch.skipped_images == 1
        for k, (h, w) in enumerate(batch.image_sizes):
            assert (batch.masks[k, h:] == 255).all() and (batch.masks[k, :, w:] == 255).all()
            assert (batch.images[k, :, h:] == 0).all() and (batch.images[k, :, :, w:] == 0).all()


def test_training_validation_and_eval_equal_the_per_image_metrics():
    model, batches = ConvSegmenter(), batches_of_different_sizes()
    expected = per_image_reference(model, batches)
    device = torch.device("cpu")
    during_training = validate(model, batches, device, task="segmentation", num_classes=4)
    assert during_training is not None
    assert_same_metrics(during_training, expected)
    assert during_training["images"] == 7 and math.isfinite(during_training["loss_seg"])
    assert_same_metrics(evaluate_segmentation(model, batches, device, NUM_LOGITS), expected)


def test_padded_batch_prediction_is_not_the_per_image_prediction():
    """Why the evaluation crops: the padded batch labels some border pixels otherwise."""
    model, batches = ConvSegmenter(), batches_of_different_sizes()
    changed = 0
    with torch.no_grad():
        for batch in batches:
            padded = model.predict(batch.images)
            alone = SegmentationInference().padded_batch_labels(
                model, batch.images, batch.image_sizes
            )
            for k, (h, w) in enumerate(batch.image_sizes):
                changed += int((padded[k, :h, :w] != alone[k, :h, :w]).sum())
    assert changed > 0


def test_eval_with_test_time_flips_equals_each_image_alone_for_any_batch_size():
    model = ConvSegmenter()
    inference = SegmentationInference(tta="flips")
    batches = batches_of_different_sizes()
    expected = per_image_reference(model, batches, inference)
    device = torch.device("cpu")
    got = evaluate_segmentation(model, batches, device, NUM_LOGITS, inference=inference)
    assert_same_metrics(got, expected)
    one_per_batch = [
        collate_segmentation([(batch.images[k, :, :h, :w], batch.masks[k, :h, :w])])
        for batch in batches
        for k, (h, w) in enumerate(batch.image_sizes)
    ]
    single = evaluate_segmentation(model, one_per_batch, device, NUM_LOGITS, inference=inference)
    assert_same_metrics(single, expected)


def test_shard_confusion_matrices_sum_to_the_whole():
    model, batches = ConvSegmenter(), batches_of_different_sizes()
    expected = per_image_reference(model, batches)
    total = ConfusionMatrix(NUM_LOGITS)
    for shard in (batches[0::2], batches[1::2]):
        part = ConfusionMatrix(NUM_LOGITS)
        with torch.no_grad():
            for batch in shard:
                labels = SegmentationInference().padded_batch_labels(
                    model, batch.images, batch.image_sizes
                )
                part.update(labels, batch.masks)
        total.matrix += part.matrix
    assert_same_metrics(total.compute(), expected)

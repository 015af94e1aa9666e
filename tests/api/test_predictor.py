"""detseg.load(checkpoint).predict(x): every input kind, the checks on bad ones, thresholds."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

import detseg
from detseg.api import DetectionResult, Predictor, SegmentationResult
from detseg.config import ConfigError
from detseg.data.image_io import ImageReadError, read_image
from detseg.data.shapes import SHAPE_CLASSES
from detseg.engine.checkpointing import CheckpointError
from detseg.segmentation.inference import SegmentationInference


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


@pytest.fixture(scope="module")
def segmenter(segmenter_checkpoint) -> Predictor:
    return detseg.load(segmenter_checkpoint, device="cpu")


def assert_same_detections(a: DetectionResult, b: DetectionResult) -> None:
    assert len(a) > 0
    torch.testing.assert_close(a.boxes, b.boxes, rtol=0, atol=1e-4)
    torch.testing.assert_close(a.scores, b.scores, rtol=0, atol=1e-5)
    assert a.labels.tolist() == b.labels.tolist()
    assert np.array_equal(a.image, b.image)


def test_detseg_load_is_the_api_load_and_gives_a_predictor(detector):
    assert detseg.load is detseg.api.load
    assert isinstance(detector, Predictor) and detector.task == "detection"
    assert detector.classes == list(SHAPE_CLASSES)
    assert "faster_rcnn detection, 5 classes" in repr(detector)


def test_every_input_kind_gives_the_same_detections(detector, image_file):
    rgb = read_image(image_file)  # Float[3, H, W] in [0, 1]
    array = np.ascontiguousarray((rgb * 255).round().byte().permute(1, 2, 0).numpy())
    reference = detector.predict(image_file)
    assert isinstance(reference, DetectionResult) and reference.path == image_file
    assert reference.image.shape == (48, 64, 3) and reference.image.dtype == np.uint8
    singles = {
        "str path": str(image_file),
        "numpy RGB uint8": array,
        "numpy BGR uint8": (array[:, :, ::-1].copy(), True),
        "numpy RGB float": array.astype(np.float32) / 255,
        "PIL": Image.fromarray(array),
        "tensor float": rgb,
        "tensor uint8": torch.from_numpy(array).permute(2, 0, 1),
        "tensor BGR": (rgb.flip(0), True),
    }
    for kind, x in singles.items():
        x, bgr = x if isinstance(x, tuple) else (x, False)
        result = detector.predict(x, bgr=bgr)
        assert isinstance(result, DetectionResult), kind
        assert_same_detections(result, reference)
        assert result.path == (image_file if kind == "str path" else None), kind
    batch = detector.predict(torch.stack([rgb, rgb]))
    assert isinstance(batch, list) and len(batch) == 2
    mixed = detector.predict([image_file, array, rgb], batch_size=2)
    assert isinstance(mixed, list) and len(mixed) == 3
    for result in [*batch, *mixed]:
        assert_same_detections(result, reference)
    assert detector.predict([]) == []
    reference.boxes += 1  # a plain tensor: made in inference mode, but editable


BAD_INPUTS = {
    "2 channels": (np.zeros((48, 64, 2), np.uint8), "(48, 64, 2)"),
    "5 channels": (np.zeros((48, 64, 5), np.uint8), "(48, 64, 5)"),
    "int32 array": (np.zeros((48, 64, 3), np.int32), "int32"),
    "numpy batch": (np.zeros((2, 3, 48, 64), np.float32), "(2, 3, 48, 64)"),
    "channels-first array": (np.zeros((3, 48, 64), np.uint8), "(3, 48, 64)"),
    "2-channel tensor": (torch.zeros(2, 48, 64), "(2, 48, 64)"),
    "channels-last tensor": (torch.zeros(48, 64, 3), "permute(2, 0, 1)"),
    "int32 tensor": (torch.zeros(3, 48, 64, dtype=torch.int32), "torch.int32"),
    "2-d tensor": (torch.zeros(48, 64), "(48, 64)"),
    "0..255 floats": (np.full((48, 64, 3), 200.0, np.float32), "0..255 values"),
    "a number": (42, "builtins.int"),
    "a nested list": ([[np.zeros((48, 64, 3), np.uint8)]], "item 0"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_inputs_are_a_value_error_naming_shape_or_dtype(detector, kind):
    x, expected = BAD_INPUTS[kind]
    with pytest.raises(ValueError, match=re.escape(expected)) as info:
        detector.predict(x)
    assert "accepted" in str(info.value) or "[0, 1]" in str(info.value)


def test_a_bad_item_of_a_list_is_named_by_position(detector):
    good = np.zeros((48, 64, 3), np.uint8)
    with pytest.raises(ValueError, match=re.escape("item 1 of the input list: numpy image")):
        detector.predict([good, np.zeros((48, 64, 2), np.uint8)])


def test_an_unreadable_image_file_is_named(detector, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not an image")
    with pytest.raises(ImageReadError, match="corrupt.png"):
        detector.predict(corrupt)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        detector.predict(np.zeros((8, 8, 3), np.uint8), batch_size=0)


def test_names_follow_labels_and_classes(detector, image_file):
    result = detector.predict(image_file)
    assert result.names == [SHAPE_CLASSES[k - 1] for k in result.labels.tolist()]
    assert result.labels.dtype == torch.int64 and int(result.labels.min()) >= 1
    assert result.boxes.shape == (len(result), 4) and result.scores.shape == (len(result),)
    x1, y1, x2, y2 = result.boxes.unbind(1)
    assert bool((x1 < x2).all() and (y1 < y2).all() and (x2 <= 64).all() and (y2 <= 48).all())


def test_score_threshold_from_the_config_or_the_call(detector, detector_checkpoint, image_file):
    model_threshold = detector.model.score_thresh
    everything = detector.predict(image_file, score_thr=0.0)
    assert detector.model.score_thresh == model_threshold  # lowered for the call only
    cut = float(everything.scores.median())
    kept = detector.predict(image_file, score_thr=cut)
    assert 0 < len(kept) < len(everything) and bool((kept.scores >= cut).all())
    assert kept.scores.tolist() == [s for s in everything.scores.tolist() if s >= cut]
    configured = detseg.load(
        detector_checkpoint, "cpu", overrides=[f"eval.score_threshold={cut}"]
    ).predict(image_file)
    assert configured.scores.tolist() == kept.scores.tolist()


def test_to_coco_gives_xywh_boxes_and_the_checkpoints_category_ids(detector, image_file):
    result = detector.predict(image_file)
    records = result.to_coco(image_id=7)
    assert len(records) == len(result)
    for record, box, label, score in zip(
        records, result.boxes.tolist(), result.labels.tolist(), result.scores.tolist(), strict=True
    ):
        x1, y1, x2, y2 = box
        assert record["image_id"] == 7 and record["score"] == pytest.approx(score)
        assert record["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1])
        assert record["category_id"] == [10, 20, 30, 40, 50][label - 1]  # meta cat_ids
    own = result.to_coco(category_ids=[1, 2, 3, 4, 5])
    assert [r["category_id"] for r in own] == result.labels.tolist()


def test_plot_and_save_draw_the_boxes(detector, image_file, tmp_path):
    result = detector.predict(image_file)
    drawn = result.plot()
    assert drawn.shape == (48, 64, 3) and drawn.dtype == np.uint8
    assert not np.array_equal(drawn, result.image)
    result.save(tmp_path / "drawn.png")
    saved = (read_image(tmp_path / "drawn.png") * 255).round().byte().permute(1, 2, 0).numpy()
    assert np.array_equal(saved, drawn)


def test_repr_counts_boxes_per_class():
    labels = torch.tensor([1, 2, 1])
    result = DetectionResult(
        torch.tensor([[0.0, 0, 4, 4]] * 3),
        torch.tensor([0.9, 0.8, 0.7]),
        labels,
        ["circle", "square"],
        np.zeros((8, 8, 3), np.uint8),
    )
    assert repr(result) == "DetectionResult(3 boxes: 2 circle, 1 square)"
    assert result.names == ["circle", "square", "circle"]
    empty = DetectionResult(
        torch.zeros(0, 4),
        torch.zeros(0),
        torch.zeros(0, dtype=torch.int64),
        ["circle"],
        np.zeros((8, 8, 3), np.uint8),
    )
    assert repr(empty) == "DetectionResult(0 boxes)" and empty.to_coco() == []


def test_segmentation_gives_mask_and_probabilities_through_the_configs_chain(
    segmenter, image_file, tmp_path
):
    assert segmenter.task == "segmentation"
    chain = SegmentationInference.from_config(segmenter.config.eval)
    assert segmenter.inference == chain and not chain.is_plain  # dihedral TTA, scales, CRF
    result = segmenter.predict(image_file)
    assert isinstance(result, SegmentationResult)
    assert result.mask.shape == (48, 64) and result.mask.dtype == torch.int64
    assert result.probabilities.shape == (6, 48, 64)  # background + 5 shapes
    torch.testing.assert_close(result.probabilities.sum(0), torch.ones(48, 64))
    assert torch.equal(result.mask, result.probabilities.argmax(0))
    image = read_image(image_file)[None]
    assert torch.equal(result.mask, chain(segmenter.model, image)[0])
    assert result.names == ["background", *SHAPE_CLASSES]
    assert sum(result.fractions().values()) == pytest.approx(1.0)
    assert repr(result).startswith("SegmentationResult(64x48: ") and "%" in repr(result)
    assert result.plot(legend=False).shape == (48, 64, 3)
    with_legend = result.plot()
    assert with_legend.shape[0] >= 48 and with_legend.shape[1] > 64
    result.save_mask(tmp_path / "mask.png")
    assert tmp_path.joinpath("mask.png").is_file()


def test_plain_segmentation_is_model_predict_and_sizes_may_differ(segmenter, image_file):
    chain = segmenter.inference
    segmenter.inference = SegmentationInference()
    try:
        small = torch.rand(3, 32, 40)
        results = segmenter.predict([image_file, small], batch_size=2)
    finally:
        segmenter.inference = chain
    assert [r.mask.shape for r in results] == [(48, 64), (32, 40)]
    expected = segmenter.model.predict(read_image(image_file)[None])[0]
    assert torch.equal(results[0].mask, expected)


def test_load_names_a_missing_checkpoint_and_a_bad_override(detector_checkpoint, tmp_path):
    with pytest.raises(CheckpointError, match="missing.pt"):
        detseg.load(tmp_path / "missing.pt")
    with pytest.raises(ConfigError, match="score_treshold"):
        detseg.load(detector_checkpoint, "cpu", overrides=["eval.score_treshold=0.5"])

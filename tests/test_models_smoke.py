"""One smoke test per entry of ``MODELS``: losses, gradients, empty targets, bad boxes, predict.

Generic over the model table: small-size keyword arguments are applied when the builder takes
them, and the checks branch on ``model.task`` (``"detection"`` or ``"segmentation"``). An entry
of ``SAME_AS`` builds the very model of another entry (same classes, settings and weights at
the same seed, checked by ``test_model_is_its_twin``), so the smoke of that entry covers it.
"""

from __future__ import annotations

import inspect
import io
import pickle

import pytest
import torch

from detseg.models import MODELS, build_model

NUM_CLASSES = 3
# applied to every builder that has the parameter: keeps images, RoIs and heads tiny
SMALL_KWARGS = {
    "min_size": 64,
    "max_size": 96,
    "input_size": 64,
    "fc_channels": 64,
    "representation_size": 32,
    "rpn": {
        "pre_nms_top_n_train": 100,
        "post_nms_top_n_train": 50,
        "pre_nms_top_n_test": 100,
        "post_nms_top_n_test": 50,
        "batch_size_per_image": 32,
    },
    "roi_heads": {"batch_size_per_image": 32, "detections_per_img": 20, "score_thresh": 0.0},
}


# entry -> the entry that builds the same model: the ssd builder's defaults are SSD300 on VGG16
SAME_AS = {"ssd": "ssd300_vgg16"}


def _small_model(name: str) -> torch.nn.Module:
    params = inspect.signature(MODELS[name]).parameters
    kwargs = {k: v for k, v in SMALL_KWARGS.items() if k in params}
    torch.manual_seed(0)
    return build_model({"name": name, **kwargs}, NUM_CLASSES)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, 64, 80, generator=generator), torch.rand(3, 72, 64, generator=generator)]


def _detection_targets(masks: bool = False) -> list[dict[str, torch.Tensor]]:
    """Targets of ``_images()``; ``masks``: also box-filled ``UInt8[N, H, W]`` instance masks."""
    targets = [
        {
            "boxes": torch.tensor([[4.0, 6.0, 40.0, 50.0], [30.0, 10.0, 78.0, 60.0]]),
            "labels": torch.tensor([1, 3]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    if masks:
        for target, image in zip(targets, _images(), strict=True):
            target["masks"] = _box_masks(target["boxes"], image.shape[-2:])
    return targets


def _box_masks(boxes: torch.Tensor, size: tuple[int, int] | torch.Size) -> torch.Tensor:
    masks = torch.zeros(len(boxes), *size, dtype=torch.uint8)
    for mask, (x1, y1, x2, y2) in zip(masks, boxes.int().tolist(), strict=True):
        mask[y1:y2, x1:x2] = 1
    return masks


def _segmentation_targets() -> torch.Tensor:
    masks = torch.zeros(2, 64, 64, dtype=torch.int64)
    masks[:, 10:30, 20:50] = 2
    masks[1, 40:, :] = 255  # ignored
    return masks


def _check_gradients(model: torch.nn.Module, losses: dict[str, torch.Tensor]) -> None:
    for key, value in losses.items():
        assert value.dim() == 0 and torch.isfinite(value), (key, value)
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reaches {missing[:5]}"
    bad = [
        n
        for n, p in model.named_parameters()
        if p.grad is not None and not torch.isfinite(p.grad).all()
    ]
    assert not bad, f"non-finite gradients in {bad[:5]}"


def _smoke_detection(model: torch.nn.Module) -> None:
    model.train()
    with_masks = getattr(model, "has_masks", False)
    losses = model.losses(_images(), _detection_targets(with_masks))
    assert set(losses) >= {"loss_rpn_cls", "loss_rpn_box", "loss_roi_cls", "loss_roi_box"} or (
        set(losses) >= {"loss_cls", "loss_box"}
    )
    _check_gradients(model, losses)

    # two images (BatchNorm on a 1x1 map, as in SSDlite's last extra layer, needs a batch > 1)
    empty_target = _detection_targets(with_masks)[1]
    empty_only = model.losses(_images(), [empty_target, dict(empty_target)])
    for key, value in empty_only.items():
        assert torch.isfinite(value), key
        if key.endswith("_box"):
            assert value.item() == 0.0, f"{key} must be exactly zero without boxes"

    bad = _detection_targets(with_masks)
    bad[1] = {"boxes": torch.tensor([[10.0, 10.0, 5.0, 20.0]]), "labels": torch.tensor([1])}
    if with_masks:
        bad[1]["masks"] = torch.ones(1, 72, 64, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"image 1.*box 0"):
        model.losses(_images(), bad)

    model.eval()
    with torch.no_grad():
        predictions = model.predict(_images())
        batched = model.predict(torch.rand(1, 3, 64, 64))
        assert model.losses(_images(), _detection_targets(with_masks)).keys() == losses.keys()
    assert len(predictions) == 2 and len(batched) == 1
    for prediction, image in zip(predictions, _images(), strict=True):
        boxes, scores, labels = prediction["boxes"], prediction["scores"], prediction["labels"]
        n = boxes.shape[0]
        assert boxes.shape == (n, 4) and scores.shape == (n,) and labels.shape == (n,)
        assert boxes.dtype == torch.float32 and labels.dtype == torch.int64
        assert torch.all((labels >= 1) & (labels <= NUM_CLASSES))
        assert torch.all(scores[:-1] >= scores[1:])
        h, w = image.shape[-2:]
        assert torch.all(boxes >= 0) and torch.all(boxes[:, 2] <= w) and torch.all(boxes[:, 3] <= h)


def _smoke_segmentation(model: torch.nn.Module) -> None:
    images = torch.rand(2, 3, 64, 64)
    model.train()
    losses = model.losses(images, _segmentation_targets())
    _check_gradients(model, losses)
    model.eval()
    with torch.no_grad():
        logits = model(images)
        labels = model.predict(images)
    assert logits.shape == (2, NUM_CLASSES + 1, 64, 64)
    assert labels.shape == (2, 64, 64) and labels.dtype == torch.int64
    assert torch.equal(labels, logits.argmax(dim=1))  # each pixel's best-scoring class


@pytest.mark.parametrize("name", sorted(set(MODELS) - set(SAME_AS)))
def test_model_smoke(name):
    model = _small_model(name)
    if model.task == "detection":
        _smoke_detection(model)
    elif model.task == "segmentation":
        _smoke_segmentation(model)
    else:
        pytest.fail(f"{name}: unknown task {model.task!r}")


class _PicklerWithoutTensors(pickle.Pickler):
    """Pickles a model's classes and settings; every tensor stands for its dtype and shape."""

    def persistent_id(self, obj: object) -> tuple[str, str, tuple[int, ...]] | None:
        if isinstance(obj, torch.Tensor):
            return type(obj).__name__, str(obj.dtype), tuple(obj.shape)
        return None


def _structure(model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    _PicklerWithoutTensors(buffer).dump(model)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "twin"), sorted(SAME_AS.items()))
def test_model_is_its_twin(name, twin):
    """``name`` builds what ``twin`` builds: the same modules, attributes and settings, and the
    same weights and buffers at the same seed; ``test_model_smoke[twin]`` then covers it."""
    assert twin in MODELS and twin not in SAME_AS
    model, twin_model = _small_model(name), _small_model(twin)
    assert _structure(model) == _structure(twin_model)
    state, twin_state = model.state_dict(), twin_model.state_dict()
    assert list(state) == list(twin_state)
    for key, value in state.items():
        assert torch.equal(value, twin_state[key]), key


def test_unknown_kwarg_names_the_closest_parameter():
    with pytest.raises(ValueError, match=r"'min_sise'; did you mean 'min_size'"):
        build_model({"name": "faster_rcnn_resnet50_fpn", "min_sise": 100}, NUM_CLASSES)


def test_unknown_nested_key_names_the_closest_field():
    with pytest.raises(ValueError, match=r"'post_nms_topn_test'.*'post_nms_top_n_test'"):
        build_model(
            {"name": "faster_rcnn", "backbone": "resnet18", "rpn": {"post_nms_topn_test": 10}},
            NUM_CLASSES,
        )


def test_unknown_model_name():
    with pytest.raises(ValueError, match="did you mean 'faster_rcnn_vgg16'"):
        build_model({"name": "faster_rcnn_vgg"}, NUM_CLASSES)


def test_run_keys_of_the_model_section_are_not_builder_arguments():
    """A checkpoint's model section carries ``init_from`` and ``compile``: build_model leaves
    them to training and builds the same model."""
    section = {"name": "fcn", "backbone": "resnet18", "output_stride": 32}
    run_keys = {"init_from": "missing.pt", "compile": "backbone"}
    torch.manual_seed(0)
    plain = build_model(section, NUM_CLASSES)
    torch.manual_seed(0)
    with_run_keys = build_model({**section, **run_keys}, NUM_CLASSES)
    assert type(with_run_keys) is type(plain)
    for (name, want), (_, have) in zip(
        plain.state_dict().items(), with_run_keys.state_dict().items(), strict=True
    ):
        assert torch.equal(have, want), name

"""The model of a :class:`~detseg.api.predictor.Predictor` on batches of images or video
frames, and the results built from its outputs.

A detector runs with its own score threshold lowered to the one asked for (if lower); its
detections are kept by score and class, and a mask head's masks are binarised on the model's
device. A segmenter runs through the predictor's inference chain (test-time augmentation, CRF)
or one plain forward pass. Everything runs under ``torch.inference_mode`` with the model in
eval mode (a model in train mode gets its mode back after each batch), one call at a time per
model (threads of a service share a predictor: the threshold and the modes are the model's
own state); the result tensors are made normal ones. This is the work behind ``predict``,
``predict_images`` and ``stream``, apart from the checks of their arguments and from loading a
checkpoint (:mod:`detseg.api.predictor`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, cast

import torch
from torch import Tensor, nn

from detseg.api.inputs import InputImage
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.engine.runtime import Detector
from detseg.evaluation.coco_format import MASK_THRESHOLD
from detseg.image_inputs import batched
from detseg.visualize import tensor_to_rgb

if TYPE_CHECKING:
    from detseg.api.predictor import Predictor, Result

__all__ = ["detect", "predict_batches", "segment"]

logger = logging.getLogger(__name__)


def predict_batches(
    predictor: Predictor,
    images: Iterable[InputImage],
    score_thr: float | None,
    batch_size: int,
    mask_probabilities: bool,
    labels: frozenset[int] | None = None,
) -> Iterator[Result]:
    """The results of ``images``, taken ``batch_size`` at a time from the iterable: a batch's
    images are let go before the next batch is taken (``images`` may decode each file as it is
    reached: at most ``batch_size`` decoded images are then held at once), and each result
    once it is given (a result the caller does not keep is freed). Each result's ``index`` is
    its position among them, from 0."""
    position = 0
    for batch in batched(images, batch_size):
        if predictor.task == "segmentation":
            results = segment(predictor, batch)
        else:
            results = detect(predictor, batch, score_thr, mask_probabilities, labels)
        del batch  # not held while the next batch is read
        for result in results:
            result.index = position
            position += 1
        results.reverse()
        while results:
            yield results.pop()


def detect(
    predictor: Predictor,
    batch: list[InputImage],
    score_thr: float | None,
    mask_probabilities: bool = True,
    kept_labels: frozenset[int] | None = None,
) -> list[Result]:
    """The detections of ``batch`` scoring at least ``score_thr`` (default: the config's),
    of the classes ``kept_labels`` (default: every class)."""
    threshold = predictor.score_threshold if score_thr is None else score_thr
    detector = cast(Detector, predictor.model)
    with (
        _exclusive(predictor.model),
        _model_threshold(predictor.model, threshold),
        _eval_mode(predictor.model),
    ):
        outputs = detector.predict([item.image.to(predictor.device) for item in batch])
    wanted = None
    if kept_labels is not None:
        wanted = torch.tensor(sorted(kept_labels), device=predictor.device)
    results: list[Result] = []
    for item, output in zip(batch, outputs, strict=True):
        keep = output["scores"] >= threshold
        if wanted is not None:
            keep &= torch.isin(output["labels"], wanted)
        boxes, scores, labels = (output[k][keep].cpu() for k in ("boxes", "scores", "labels"))
        result = DetectionResult(
            boxes=_normal(boxes),
            scores=_normal(scores),
            labels=_normal(labels),
            classes=list(predictor.classes),  # own lists: editing one result edits no other
            image=tensor_to_rgb(item.image),
            path=item.path,
            category_ids=list(predictor.category_ids),
        )
        if output.get("masks") is not None:
            _add_masks(predictor.model, result, output["masks"][keep], mask_probabilities)
        results.append(result)
    return results


def _add_masks(
    model: nn.Module, result: DetectionResult, masks: Tensor, probabilities: bool
) -> None:
    """Set ``result.masks`` (binarised on the model's device, then moved: one byte a pixel)
    and, if ``probabilities``, ``result.mask_probabilities`` from ``Float[N, 1, H, W]``."""
    masks = masks.flatten(0, 1) if masks.dim() == 4 else masks  # [N, H, W]
    threshold = float(getattr(model, "mask_threshold", MASK_THRESHOLD))
    result.masks = _normal((masks > threshold).cpu())
    if probabilities:
        result.mask_probabilities = _normal(masks.float().cpu())


_MODEL_LOCKS: weakref.WeakKeyDictionary[nn.Module, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


@contextlib.contextmanager
def _exclusive(model: nn.Module) -> Iterator[None]:
    """``model`` used by one thread at a time inside: a prediction sets the model's own state
    (a detector's ``score_thresh``, each submodule's train/eval mode) and gives it back after,
    so two threads of a service predicting at once with one predictor would otherwise leave
    the threshold of one call (or eval mode) behind for good. A model's lock lives as long as
    the model."""
    with _LOCKS_LOCK:
        lock = _MODEL_LOCKS.setdefault(model, threading.Lock())
    with lock:
        yield


@contextlib.contextmanager
def _model_threshold(model: nn.Module, threshold: float) -> Iterator[None]:
    """The detector's own ``score_thresh`` lowered to ``threshold`` (if lower) inside."""
    detector = cast(Detector, model)
    own = detector.score_thresh
    if threshold < own:
        logger.debug("model score threshold %g lowered to %g", own, threshold)
        detector.score_thresh = threshold
    try:
        yield
    finally:
        detector.score_thresh = own


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """``model`` in eval mode under ``torch.inference_mode`` inside, its own mode restored
    after: a model left in train mode (``predictor.model.train()`` to fine-tune it) would
    otherwise predict with batch statistics and dropout, and overwrite its batch-norm running
    statistics with those of the images predicted on. Each submodule gets its own mode back
    (a fine-tuning loop may keep some, e.g. batch norms, in eval mode)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        for module, training in modes:
            module.training = training


def segment(predictor: Predictor, batch: list[InputImage]) -> list[Result]:
    same_size = len({tuple(item.image.shape) for item in batch}) == 1
    groups = [batch] if same_size else [[item] for item in batch]
    results: list[Result] = []
    for group in groups:
        images = torch.stack([item.image.to(predictor.device) for item in group])
        probabilities, masks = _segment_batch(predictor, images)
        for i, item in enumerate(group):
            results.append(
                SegmentationResult(
                    mask=_normal(masks[i].cpu()),
                    probabilities=_normal(probabilities[i].cpu()),
                    classes=list(predictor.classes),
                    image=tensor_to_rgb(item.image),
                    path=item.path,
                    category_ids=list(predictor.category_ids),
                )
            )
    return results


def _segment_batch(predictor: Predictor, images: Tensor) -> tuple[Tensor, Tensor]:
    """``(probabilities Float[B, C, H, W], labels Int64[B, H, W])`` of ``Float[B, 3, H, W]``."""
    with _exclusive(predictor.model), _eval_mode(predictor.model):
        if predictor.inference.is_plain:  # exactly model.predict: argmax of the logits
            logits = predictor.model(images)
            return logits.softmax(dim=1), logits.max(dim=1).indices
        probabilities = predictor.inference.probabilities(predictor.model, images)
        return probabilities, probabilities.max(dim=1).indices


def _normal(tensor: Tensor) -> Tensor:
    """A tensor made under ``inference_mode`` as a normal one (in-place edits allowed)."""
    return tensor.clone() if tensor.is_inference() else tensor

"""``detseg.load(checkpoint)``: a trained model that takes images as people have them.

    import detseg

    predictor = detseg.load("runs/demo/best.pt")
    result = predictor.predict("photo.jpg")          # or an array, a PIL image, a tensor
    print(result)                        # DetectionResult(3 boxes: 2 circle, 1 star, photo.jpg)
    result.save("photo_pred.jpg")
    for frame in predictor.stream("clip.mp4"):       # a video file, camera 0, an rtsp:// URL
        print(frame.frame, frame.names)

:class:`Predictor` runs the model under ``torch.inference_mode`` in batches, keeps the
detections scoring at least the config's ``eval.score_threshold`` (or ``score_thr``), and runs
a segmenter through the config's test-time augmentation and CRF
(:class:`~detseg.segmentation.inference.SegmentationInference`). A detector with instance
masks (``model.has_masks``, Mask R-CNN) gives each detection's mask too, binarised with
``model.mask_threshold``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import numbers
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast, overload

import numpy as np
import torch
from torch import Tensor, nn

from detseg.api.inputs import InputImage, as_images
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.api.video import VIDEO_SUFFIXES, VideoName, VideoSource
from detseg.argument_checks import check_at_least_one, score_threshold_problem
from detseg.config import Config, config_from_dict
from detseg.config.suggest import did_you_mean
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.engine.checkpointing import CheckpointError, load_checkpoint, model_from_checkpoint
from detseg.engine.runtime import Detector, resolve_device
from detseg.evaluation.coco_format import MASK_THRESHOLD
from detseg.image_inputs import batched
from detseg.segmentation.inference import SegmentationInference
from detseg.visualize import tensor_to_rgb

__all__ = ["Predictor", "Result", "load"]

logger = logging.getLogger(__name__)

#: What :meth:`Predictor.predict` gives for one image.
Result = DetectionResult | SegmentationResult


def load(
    checkpoint: str | os.PathLike,
    device: str = "auto",
    overrides: Sequence[str] | Mapping[str, Any] = (),
) -> Predictor:
    """The model of a checkpoint file, ready to predict.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training, or a run folder
            holding them: its ``best.pt``, else its ``last.pt`` is loaded (a log line names
            the file).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        overrides: ``"key=value"`` changes of the checkpoint's config, e.g.
            ``"model.roi_heads.nms_thresh=0.6"``, ``"eval.score_threshold=0.5"``,
            ``"eval.tta=hflip"``, or a mapping of dotted keys to values
            (``{"eval.score_threshold": 0.5}``); ``"device=cpu"`` (``{"device": "cpu"}``)
            applies when ``device`` is ``"auto"``.

    Raises:
        CheckpointError: a missing or unreadable checkpoint, a folder without ``best.pt`` or
            ``last.pt``, or weights that do not fit.
        ConfigError: a bad override.
        ValueError: an unknown or unavailable device.
    """
    path = Path(checkpoint).expanduser()  # "~/runs/x/best.pt": under the home folder
    if path.suffix.lower() in (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES):
        kind = "an image" if path.suffix.lower() in IMAGE_SUFFIXES else "a video"
        raise CheckpointError(
            f"{path} is {kind}, not a checkpoint; give a best.pt / last.pt written by train.py"
        )
    if path.is_dir():
        path = _run_checkpoint(path)
    state = load_checkpoint(path)
    cfg = config_from_dict(state["config"], source=str(checkpoint), overrides=overrides)
    if device == "auto" and _sets_device(overrides):
        device = cfg.device
    where = resolve_device(device)
    model, _, classes = model_from_checkpoint(
        state, where, cfg.model.to_dict(), source=str(checkpoint)
    )
    category_ids = (state.get("meta") or {}).get("cat_ids") or None
    return Predictor(model, classes, cfg, where, category_ids=category_ids)


def _run_checkpoint(folder: Path) -> Path:
    """The checkpoint of the run folder ``folder``: its ``best.pt``, else its ``last.pt``.

    Raises:
        CheckpointError: the folder holds neither.
    """
    for name, why in (("best.pt", "its best checkpoint"), ("last.pt", "it has no best.pt")):
        if (folder / name).is_file():
            logger.info("loading %s (%s is a run folder; %s)", folder / name, folder, why)
            return folder / name
    others = sorted(path.name for path in folder.glob("*.pt"))
    found = f" (it holds {', '.join(others[:5])})" if others else ""
    raise CheckpointError(
        f"{folder} is a folder without best.pt or last.pt{found}; give a checkpoint file "
        "written by tools/train.py, e.g. runs/<name>/best.pt"
    )


def _sets_device(overrides: Sequence[str] | Mapping[str, Any]) -> bool:
    """Whether ``overrides`` (``"key=value"`` strings or a mapping) set ``device``."""
    if isinstance(overrides, Mapping):
        return "device" in overrides
    return any(isinstance(item, str) and item.strip().startswith("device=") for item in overrides)


class Predictor:
    """A detector or a segmenter with its classes and config, predicting on any image.

    Args:
        model: the model, in eval mode on ``device``.
        classes: its ``K`` class names (label ``k`` is ``classes[k - 1]``).
        config: the resolved config (``eval.score_threshold``, ``eval.tta`` ...).
        device: where the model is.
        category_ids: the dataset's category id of each label (COCO ids; default ``1..K``).

    Attributes:
        task: ``"detection"`` or ``"segmentation"``.
        score_threshold: detections scoring below it are dropped unless ``score_thr`` says
            otherwise (the config's ``eval.score_threshold``).
        inference: the segmentation chain (test-time augmentation, CRF) from the config's
            ``eval`` section; ``SegmentationInference()`` is one plain forward pass.
    """

    def __init__(
        self,
        model: nn.Module,
        classes: Sequence[str],
        config: Config,
        device: torch.device,
        category_ids: Sequence[int] | None = None,
    ) -> None:
        self.model = model
        self.classes = list(classes)
        self.config = config
        self.device = device
        self.task: str = getattr(model, "task", "detection")
        self.category_ids = list(category_ids or range(1, len(self.classes) + 1))
        self.score_threshold: float = config.eval.score_threshold
        self.inference = SegmentationInference()
        if self.task == "segmentation":
            self.inference = SegmentationInference.from_config(config.eval)

    @overload
    def predict(
        self,
        x: list[Any] | tuple[Any, ...],
        score_thr: float | None = None,
        bgr: bool = False,
        batch_size: int = 8,
        mask_probabilities: bool = True,
        classes: Sequence[str | int] | None = None,
    ) -> list[Result]: ...

    @overload
    def predict(
        self,
        x: str | os.PathLike | np.ndarray,
        score_thr: float | None = None,
        bgr: bool = False,
        batch_size: int = 8,
        mask_probabilities: bool = True,
        classes: Sequence[str | int] | None = None,
    ) -> Result: ...

    @overload
    def predict(
        self,
        x: Any,
        score_thr: float | None = None,
        bgr: bool = False,
        batch_size: int = 8,
        mask_probabilities: bool = True,
        classes: Sequence[str | int] | None = None,
    ) -> Result | list[Result]: ...

    def predict(
        self,
        x: Any,
        score_thr: float | None = None,
        bgr: bool = False,
        batch_size: int = 8,
        mask_probabilities: bool = True,
        classes: Sequence[str | int] | None = None,
    ) -> Result | list[Result]:
        """Detections (or label maps) of one image or many.

        Args:
            x: one image: a path, a numpy array ``[H, W, 3]`` (``uint8``, ``uint16`` or
                float in ``[0, 1]``; gray ``[H, W]`` / ``[H, W, 1]`` and RGBA ``[H, W, 4]`` are
                made RGB as such files are), a PIL image, a tensor ``[3, H, W]`` (float in
                ``[0, 1]``, ``uint8`` or ``uint16``; also ``[1, H, W]`` / ``[4, H, W]``); or
                many: a list of these (or an iterator: a generator,
                ``Path(folder).glob("*.jpg")``), a tensor ``[B, 3, H, W]``, a numpy array
                ``[B, H, W, 3]`` or a glob pattern
                (``"photos/*.jpg"``, ``"photos/**/*.png"``: its image files, sorted). RGB
                unless ``bgr``.
            score_thr: detection only: keep detections scoring at least this (default:
                :attr:`score_threshold`). Below the model's own inference threshold
                (``model.score_thresh``), that one is lowered to it during the call.
            bgr: arrays and tensors hold BGR channels (OpenCV frames).
            batch_size: images per forward pass.
            mask_probabilities: a model with masks: keep each detection's probabilities
                (``Float[N, H, W]``, four bytes a pixel: 100 detections of a 1333 x 800
                image take 430 MB); ``False`` keeps the binarised ``masks`` only (one byte).
            classes: detection only: keep the detections of these classes, given by name
                (``["person", "car"]``) or label ``1..K`` (default: every class). They are
                picked from the model's output, which holds at most its
                ``detections_per_img`` detections of all classes.

        Returns:
            One :class:`DetectionResult` / :class:`SegmentationResult` for one image, a list
            of them (in input order) for a list, an iterator, a batch or a glob pattern. The
            detections of a model with masks carry ``masks`` and (unless
            ``mask_probabilities=False``) ``mask_probabilities``.

        Raises:
            ValueError: an input of a type, shape or dtype not listed above, an empty image,
                float pixels that are NaN, inf or outside ``[0, 1]`` (the message names the
                input), an image file that cannot be read (in a list: its position; nothing
                is returned, tools/infer.py skips such files), a glob pattern matching no image
                file, a video file, a URL or a camera index (:meth:`stream` takes videos,
                stream URLs and cameras; an image URL is downloaded first), ``score_thr`` outside
                ``[0, 1]`` or given to a segmenter, ``batch_size`` below 1, a class the model
                does not have (or any ``classes`` for a segmenter).
        """
        self._check_score_thr(score_thr)
        check_at_least_one(batch_size, "batch_size")
        labels = self.labels_of(classes)
        images, single = as_images(x, bgr=bgr)
        found = self._predict_batches(images, score_thr, batch_size, mask_probabilities, labels)
        results = list(found)
        return results[0] if single else results

    def predict_images(
        self,
        images: Iterable[InputImage],
        score_thr: float | None = None,
        batch_size: int = 8,
        mask_probabilities: bool = True,
        classes: Sequence[str | int] | None = None,
    ) -> Iterator[Result]:
        """:meth:`predict` on :class:`~detseg.api.inputs.InputImage` items, one result each, as
        each batch is done (``images`` is read one batch at a time).

        ``mask_probabilities=False`` keeps only the binarised ``masks`` of the detections
        (``mask_probabilities`` is ``None``): one byte a pixel and detection instead of five.

        Raises:
            ValueError: ``score_thr`` outside ``[0, 1]`` or given to a segmenter, ``batch_size``
                below 1, a class the model does not have (here, before any image is read).
        """
        self._check_score_thr(score_thr)
        check_at_least_one(batch_size, "batch_size")
        labels = self.labels_of(classes)
        return self._predict_batches(images, score_thr, batch_size, mask_probabilities, labels)

    def labels_of(self, classes: Sequence[str | int] | None) -> frozenset[int] | None:
        """The labels ``1..K`` of ``classes``, given by name or label (an int, or its digits
        as text where no class has that name); ``None`` (every class) for ``None``.

        Raises:
            ValueError: a name the model does not have (with the closest one), a label outside
                ``1..K``, an empty list, a single string (give a list), or classes given to a
                segmenter (which labels every pixel).
        """
        if classes is None:
            return None
        if self.task == "segmentation":
            raise ValueError(
                f"classes are for detectors; this {self.config.model.name} segmenter labels "
                "every pixel: leave classes out (result.mask == label picks a class's pixels)"
            )
        if isinstance(classes, str) or not isinstance(classes, Sequence) or not classes:
            raise ValueError(
                f"classes must be a non-empty list of class names or labels, got {classes!r}"
            )
        labels = set()
        for item in classes:
            if isinstance(item, str) and item not in self.classes and item.isdigit():
                item = int(item)  # a label written as text (the command line's --classes 2)
            if isinstance(item, str):
                if item not in self.classes:
                    raise ValueError(
                        f"unknown class {item!r} (the model's classes: "
                        f"{_short_list(self.classes)}){did_you_mean(item, self.classes)}"
                    )
                labels.add(self.classes.index(item) + 1)
            elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
                if not 1 <= item <= len(self.classes):
                    raise ValueError(
                        f"class label {item} is outside 1..{len(self.classes)} (the model has "
                        f"{len(self.classes)} classes; label k is classes[k - 1])"
                    )
                labels.add(int(item))
            else:
                raise ValueError(f"a class is a name or a label 1..K, got {item!r}")
        return frozenset(labels)

    def _check_score_thr(self, score_thr: float | None) -> None:
        """Refuse a ``score_thr`` outside ``[0, 1]``, or any ``score_thr`` for a segmenter
        (which keeps every pixel's class: the threshold would be ignored)."""
        _check_score_thr(score_thr)
        if score_thr is not None and self.task == "segmentation":
            raise ValueError(
                f"score_thr={score_thr:g} is for detectors; this {self.config.model.name} "
                "segmenter keeps every pixel's class: leave score_thr out (result.probabilities "
                "holds each pixel's class probabilities)"
            )

    def _predict_batches(
        self,
        images: Iterable[InputImage],
        score_thr: float | None,
        batch_size: int,
        mask_probabilities: bool,
        labels: frozenset[int] | None = None,
    ) -> Iterator[Result]:
        for batch in batched(images, batch_size):
            if self.task == "segmentation":
                yield from self._segment(batch)
            else:
                yield from self._detect(batch, score_thr, mask_probabilities, labels)

    def stream(
        self,
        source: VideoName | VideoSource,
        score_thr: float | None = None,
        max_frames: int | None = None,
        classes: Sequence[str | int] | None = None,
        batch_size: int = 1,
        mask_probabilities: bool = False,
        bgr: bool = False,
    ) -> Iterator[Result]:
        """Results of the frames of a video file, a camera or a stream, as they are read.

        Args:
            source: a video file, a camera index (``0`` or ``"0"``), a stream URL
                (``rtsp://``, ``http://`` ...), or an open :class:`VideoSource`.
            score_thr: as in :meth:`predict`.
            max_frames: stop after this many frames, at least 1 (default: a video to its end,
                a camera or a stream until it ends or the loop stops).
            classes: as in :meth:`predict`.
            batch_size: frames per forward pass (the results of a batch come once its last
                frame is read: keep 1 for a camera's lowest latency).
            mask_probabilities: as in :meth:`predict`; off by default, since a long video's
                probabilities would fill the memory of whoever keeps the results.
            bgr: taken for symmetry with :meth:`predict`, and ``False`` only: each frame is
                decoded to RGB (:class:`VideoSource`).

        Returns:
            An iterator of results whose ``frame`` and ``time`` are set; detections keep their
            binarised ``masks`` only (``mask_probabilities`` is ``None``) unless
            ``mask_probabilities``.

        Raises:
            FileNotFoundError: a video file that does not exist.
            ValueError: a video that cannot be decoded, a camera that cannot be opened, a
                stream that cannot be reached, ``score_thr`` outside ``[0, 1]`` or given to a
                segmenter, ``max_frames`` or ``batch_size`` below 1, ``bgr=True``, a class the
                model does not have (raised here, before the first frame).
        """
        self._check_score_thr(score_thr)
        if max_frames is not None:
            check_at_least_one(max_frames, "max_frames")
        check_at_least_one(batch_size, "batch_size")
        if bgr:
            raise ValueError(
                "bgr=True is for numpy arrays and tensors given to predict; stream decodes each "
                "frame to RGB itself: leave bgr out"
            )
        labels = self.labels_of(classes)
        video = source if isinstance(source, VideoSource) else VideoSource(source)
        settings = (score_thr, labels, batch_size, mask_probabilities)
        return self._frames(video, settings, max_frames, close=video is not source)

    def _frames(
        self,
        video: VideoSource,
        settings: tuple[float | None, frozenset[int] | None, int, bool],
        max_frames: int | None,
        close: bool,
    ) -> Iterator[Result]:
        """Results of the frames, a batch at a time (``settings``: ``score_thr``, the kept
        labels, ``batch_size`` and ``mask_probabilities``, checked by :meth:`stream`)."""
        score_thr, labels, batch_size, probabilities = settings
        try:
            for frames in batched(itertools.islice(video, max_frames), batch_size):
                images, _ = as_images([frame.image for frame in frames])
                results = self._predict_batches(
                    images, score_thr, batch_size, probabilities, labels=labels
                )
                for frame, result in zip(frames, results, strict=True):
                    result.frame, result.time = frame.index, frame.time
                    yield result
        finally:
            if close:
                video.close()

    def _detect(
        self,
        batch: list[InputImage],
        score_thr: float | None,
        mask_probabilities: bool = True,
        kept_labels: frozenset[int] | None = None,
    ) -> list[Result]:
        """The detections of ``batch`` scoring at least ``score_thr`` (default: the config's),
        of the classes ``kept_labels`` (default: every class)."""
        threshold = self.score_threshold if score_thr is None else score_thr
        detector = cast(Detector, self.model)
        with self._model_threshold(threshold), torch.inference_mode():
            outputs = detector.predict([item.image.to(self.device) for item in batch])
        wanted = None
        if kept_labels is not None:
            wanted = torch.tensor(sorted(kept_labels), device=self.device)
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
                classes=list(self.classes),  # own lists: editing one result edits no other
                image=tensor_to_rgb(item.image),
                path=item.path,
                category_ids=list(self.category_ids),
            )
            if output.get("masks") is not None:
                self._add_masks(result, output["masks"][keep], mask_probabilities)
            results.append(result)
        return results

    def _add_masks(self, result: DetectionResult, masks: Tensor, probabilities: bool) -> None:
        """Set ``result.masks`` (binarised on the model's device, then moved: one byte a pixel)
        and, if ``probabilities``, ``result.mask_probabilities`` from ``Float[N, 1, H, W]``."""
        masks = masks.flatten(0, 1) if masks.dim() == 4 else masks  # [N, H, W]
        threshold = float(getattr(self.model, "mask_threshold", MASK_THRESHOLD))
        result.masks = _normal((masks > threshold).cpu())
        if probabilities:
            result.mask_probabilities = _normal(masks.float().cpu())

    @contextlib.contextmanager
    def _model_threshold(self, threshold: float) -> Iterator[None]:
        """The detector's own ``score_thresh`` lowered to ``threshold`` (if lower) inside."""
        detector = cast(Detector, self.model)
        own = detector.score_thresh
        if threshold < own:
            logger.debug("model score threshold %g lowered to %g", own, threshold)
            detector.score_thresh = threshold
        try:
            yield
        finally:
            detector.score_thresh = own

    def _segment(self, batch: list[InputImage]) -> list[Result]:
        same_size = len({tuple(item.image.shape) for item in batch}) == 1
        groups = [batch] if same_size else [[item] for item in batch]
        results: list[Result] = []
        for group in groups:
            images = torch.stack([item.image.to(self.device) for item in group])
            probabilities, masks = self._segment_batch(images)
            for i, item in enumerate(group):
                results.append(
                    SegmentationResult(
                        mask=_normal(masks[i].cpu()),
                        probabilities=_normal(probabilities[i].cpu()),
                        classes=list(self.classes),
                        image=tensor_to_rgb(item.image),
                        path=item.path,
                        category_ids=list(self.category_ids),
                    )
                )
        return results

    def _segment_batch(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``(probabilities Float[B, C, H, W], labels Int64[B, H, W])`` of ``Float[B, 3, H, W]``."""
        with torch.inference_mode():
            if self.inference.is_plain:  # exactly model.predict: argmax of the logits
                logits = self.model(images)
                return logits.softmax(dim=1), logits.max(dim=1).indices
            probabilities = self.inference.probabilities(self.model, images)
            return probabilities, probabilities.max(dim=1).indices

    def __repr__(self) -> str:
        """One line, e.g. ``Predictor(mask_rcnn detection with masks, 80 classes ['person',
        'bicycle', 'car', ..., 'toothbrush'], score >= 0.3, on cpu)``; a segmenter's gives its
        inference chain (``one pass``, ``hflip TTA x scales [1.0] + CRF (5 iterations)``)."""
        kind = f"{self.config.model.name} {self.task}"
        if getattr(self.model, "has_masks", False):
            kind += " with masks"
        settings = (
            self.inference.describe()
            if self.task == "segmentation"
            else f"score >= {self.score_threshold:g}"
        )
        classes = f"{len(self.classes)} classes {_short_list(self.classes)}"
        return f"Predictor({kind}, {classes}, {settings}, on {self.device})"


def _short_list(names: Sequence[str], head: int = 3, most: int = 8) -> str:
    """``names`` as a list literal, or its first ``head`` and its last past ``most`` names:
    ``['person', 'bicycle', 'car', ..., 'toothbrush']``."""
    if len(names) <= most:
        return repr(list(names))
    shown = [repr(name) for name in names[:head]]
    return f"[{', '.join(shown)}, ..., {names[-1]!r}]"


def _check_score_thr(score_thr: float | None) -> None:
    """Refuse a score threshold that is not a number (a string, a bool), or outside
    ``[0, 1]`` (or NaN), as ``--score-thr`` is refused."""
    if score_thr is not None and (
        isinstance(score_thr, bool) or not isinstance(score_thr, numbers.Real)
    ):
        raise ValueError(
            f"score_thr must be a number in [0, 1] or None, got {score_thr!r} "
            f"({type(score_thr).__name__})"
        )
    problem = score_threshold_problem(score_thr, "score_thr")
    if problem:
        raise ValueError(problem)


def _normal(tensor: Tensor) -> Tensor:
    """A tensor made under ``inference_mode`` as a normal one (in-place edits allowed)."""
    return tensor.clone() if tensor.is_inference() else tensor

"""``detseg.load(checkpoint)``: a trained model that takes images as people have them.

    import detseg

    predictor = detseg.load("runs/demo/best.pt")
    result = predictor.predict("photo.jpg")          # or an array, a PIL image, a tensor
    print(result)                        # DetectionResult(3 boxes: 2 circle, 1 star, photo.jpg)
    result.save("photo_pred.jpg")
    for frame in predictor.stream("clip.mp4"):       # a video file, camera 0, an rtsp:// URL
        print(frame.frame, frame.names)
    for result in predictor.stream("photos/"):       # images, a batch at a time: a folder,
        result.save(f"out/{result.path.name}")     # a glob, a list or a generator of them
    for result in predictor.stream("clips/*.mp4"):   # videos (and images) one after another
        print(result.path.name, result.frame)

:class:`Predictor` runs the model under ``torch.inference_mode`` in batches, keeps the
detections scoring at least the config's ``eval.score_threshold`` (or ``score_thr``), and runs
a segmenter through the config's test-time augmentation and CRF
(:class:`~detseg.segmentation.inference.SegmentationInference`). A detector with instance
masks (``model.has_masks``, Mask R-CNN) gives each detection's mask too, binarised with
``model.mask_threshold``.

The work on each batch is :mod:`detseg.api.batch_prediction`; the checks of ``score_thr`` and
``classes``, :mod:`detseg.api.prediction_checks`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import torch
from torch import nn

from detseg.api.batch_prediction import predict_batches
from detseg.api.image_stream import stream_source
from detseg.api.inputs import InputImage, pending_images, read_pending
from detseg.api.prediction_checks import (
    check_score_thr,
    input_images,
    labels_of_classes,
    short_list,
)
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.api.video_names import VIDEO_SUFFIXES
from detseg.api.video_streams import STREAM_TIMEOUT, check_stream_timeout
from detseg.argument_checks import check_at_least_one, check_switch
from detseg.config import Config
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.engine.checkpointing import (
    CheckpointError,
    check_checkpoint_file,
    load_checkpoint,
    model_from_checkpoint,
)
from detseg.engine.checkpointing.launch_folder import checkpoint_config
from detseg.engine.runtime import resolve_device
from detseg.engine.runtime.device import check_device_type
from detseg.run_folders import run_checkpoint
from detseg.segmentation.inference import SegmentationInference

__all__ = ["Predictor", "Result", "load"]

logger = logging.getLogger(__name__)

#: What :meth:`Predictor.predict` gives for one image.
Result = DetectionResult | SegmentationResult

#: What :func:`load` takes, ending the messages of a path that is not one.
LOADABLE = "a best.pt / last.pt written by detseg-train (tools/train.py), or its run folder"


def load(
    checkpoint: str | os.PathLike,
    device: str = "auto",
    overrides: Sequence[str] | Mapping[str, Any] = (),
) -> Predictor:
    """The model of a checkpoint file, ready to predict.

    Its config is read by :func:`~detseg.engine.checkpointing.launch_folder.checkpoint_config`:
    a relative ``data.root`` that the working folder lacks is read from the folder training
    was started from, ``overrides`` apply as given. No backbone weights file
    (``model.backbone_weights``) is read: the checkpoint holds every tensor.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training, or a run folder
            holding them: its ``best.pt``, else its ``last.pt`` is loaded (the result's
            ``checkpoint`` and a log line name the file).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        overrides: ``"key=value"`` changes of the checkpoint's config, e.g.
            ``"model.roi_heads.nms_thresh=0.6"``, ``"eval.score_threshold=0.5"``,
            ``"eval.tta=hflip"``, or a mapping of dotted keys to values
            (``{"eval.score_threshold": 0.5}``); ``"device=cpu"`` (``{"device": "cpu"}``)
            applies when ``device`` is ``"auto"``.

    Raises:
        CheckpointError: a missing (``CheckpointNotFoundError``, a ``FileNotFoundError`` too),
            empty, text or unreadable file, a folder without ``best.pt`` or ``last.pt``, or
            weights that do not fit; the message names the path and what to give.
        ConfigError: a bad override.
        TypeError: ``checkpoint`` is no path (a model, a state dict, ``None`` ...);
            ``device`` is no ``str``, ``int`` or ``torch.device`` (``None``, a list ...),
            refused before the checkpoint is read.
        ValueError: an unknown or unavailable device.
    """
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"detseg.load takes the path of a checkpoint, got a {type(checkpoint).__module__}."
            f"{type(checkpoint).__name__}; give {LOADABLE}"
        )
    check_device_type(device)  # None, a list ...: before the checkpoint is read
    path = Path(checkpoint).expanduser()  # "~/runs/x/best.pt": under the home folder
    if path.suffix.lower() in (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES):
        kind = "an image" if path.suffix.lower() in IMAGE_SUFFIXES else "a video"
        raise CheckpointError(
            f"{path} is {kind}, not a checkpoint; give a best.pt / last.pt written by "
            "detseg-train (tools/train.py)"
        )
    if path.is_dir():
        path = _run_checkpoint(path)
    _check_file(path)
    state = load_checkpoint(path)
    # a relative data.root missing here is read from the folder the run was started from,
    # as detseg-eval reads it
    cfg = checkpoint_config(state, source=str(checkpoint), overrides=overrides)
    if device == "auto" and _sets_device(overrides):
        device = cfg.device
    where = resolve_device(device)
    model, _, classes = model_from_checkpoint(
        state, where, cfg.model.to_dict(), source=str(checkpoint)
    )
    category_ids = (state.get("meta") or {}).get("cat_ids") or None
    return Predictor(model, classes, cfg, where, category_ids=category_ids, checkpoint=path)


def _run_checkpoint(folder: Path) -> Path:
    """The checkpoint of the run folder ``folder`` (:func:`~detseg.run_folders.run_checkpoint`:
    its ``best.pt``, else its ``last.pt``), logged.

    Raises:
        CheckpointError: the folder holds neither.
    """
    path, why = run_checkpoint(
        folder,
        give="a checkpoint file written by detseg-train (tools/train.py), e.g. runs/<name>/best.pt",
    )
    logger.info("loading %s (%s is a run folder; %s)", path, folder, why)
    return path


def _check_file(path: Path) -> None:
    """Refuse a file that cannot be a checkpoint (missing, empty, text, an export, cut short)
    as :func:`load_checkpoint` would, each message ending with what :func:`load` takes
    (``runs/x/best.pt`` for ``runs/x/best``, given without its suffix).

    Raises:
        CheckpointError: see :func:`~detseg.torch_files.check_checkpoint_file`.
    """
    give = LOADABLE
    if not path.exists() and not path.suffix and path.with_suffix(".pt").is_file():
        give = f"{path.with_suffix('.pt')} (the file with its .pt suffix)"
    check_checkpoint_file(path, give=give)


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
        checkpoint: the file the model was loaded from (:func:`load` sets it: a run folder's
            ``best.pt`` or ``last.pt``), ``None`` for a model built in Python.

    Attributes:
        checkpoint: the file the model was loaded from, or ``None`` (as given).
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
        checkpoint: Path | None = None,
    ) -> None:
        self.model = model
        self.checkpoint = checkpoint
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
                ``[B, H, W, 3]`` (1 or 4 channels too) or a glob pattern
                (``"photos/*.jpg"``, ``"photos/**/*.png"``: its image files, sorted). RGB
                unless ``bgr``. Image files are decoded a batch at a time (each result keeps
                its image as ``uint8``, a quarter of the decoded ``float32`` one).
            score_thr: detection only: keep detections scoring at least this, a number in
                ``[0, 1]`` (also one in a 0-d tensor or numpy array: ``torch.tensor(0.5)``,
                ``np.float32(0.5)``; default: :attr:`score_threshold`). Below the model's own
                inference threshold (``model.score_thresh``), that one is lowered to it during
                the call.
            bgr: arrays and tensors hold BGR channels (OpenCV frames).
            batch_size: images per forward pass.
            mask_probabilities: a model with masks: keep each detection's probabilities
                (``Float[N, H, W]``, four bytes a pixel: 100 detections of a 1333 x 800
                image take 430 MB); ``False`` keeps the binarised ``masks`` only (one byte).
            classes: detection only: keep the detections of these classes, given by name
                (``["person", "car"]``) or label ``1..K`` (``[1, 3]``, also a set, a numpy
                array or a tensor of labels; default: every class). They are
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
                is returned, tools/infer.py skips such files; a missing, unreadable or empty
                file is found before any image is decoded, one that cannot be decoded when its
                batch comes), a glob pattern matching no image
                file, a video file, a URL or a camera index (:meth:`stream` takes videos,
                stream URLs and cameras; an image URL is downloaded first), ``score_thr`` outside
                ``[0, 1]`` or given to a segmenter, ``batch_size`` below 1, a class the model
                does not have (or any ``classes`` for a segmenter), ``bgr`` or
                ``mask_probabilities`` other than ``True`` or ``False``.
        """
        score_thr = check_score_thr(score_thr, self.task, self.config.model.name)
        check_at_least_one(batch_size, "batch_size")
        check_switch(bgr, "bgr")
        check_switch(mask_probabilities, "mask_probabilities")
        labels = self.labels_of(classes)
        items, single = pending_images(x, bgr=bgr)  # files checked, not decoded yet
        images = read_pending(items)  # each file decoded when its batch comes
        found = predict_batches(self, images, score_thr, batch_size, mask_probabilities, labels)
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
                below 1, a class the model does not have, ``mask_probabilities`` other than
                ``True`` or ``False`` (here, before any image is read).
            TypeError: ``images`` is no iterable (or is one path); when it is reached, an item
                that is no :class:`~detseg.api.inputs.InputImage` (:meth:`predict` takes
                paths, arrays, PIL images and tensors).
        """
        score_thr = check_score_thr(score_thr, self.task, self.config.model.name)
        check_at_least_one(batch_size, "batch_size")
        check_switch(mask_probabilities, "mask_probabilities")
        labels = self.labels_of(classes)
        items = input_images(images)
        return predict_batches(self, items, score_thr, batch_size, mask_probabilities, labels)

    def labels_of(self, classes: Sequence[str | int] | None) -> frozenset[int] | None:
        """The labels ``1..K`` of ``classes``, given by name or label (an int, or its digits
        as text where no class has that name); ``None`` (every class) for ``None``.

        Raises:
            ValueError: a name the model does not have (with the closest one), a label outside
                ``1..K``, an empty list, a single string (give a list), or classes given to a
                segmenter (which labels every pixel).
        """
        return labels_of_classes(classes, self.classes, self.task, self.config.model.name)

    def stream(
        self,
        source: Any,
        score_thr: float | None = None,
        max_frames: int | None = None,
        classes: Sequence[str | int] | None = None,
        batch_size: int = 1,
        mask_probabilities: bool = False,
        bgr: bool = False,
        stream_timeout: float = STREAM_TIMEOUT,
    ) -> Iterator[Result]:
        """Results one at a time, as they are made, of the frames of a video, a camera or a
        stream, or of many images and videos read a batch at a time (memory-bounded, unlike
        :meth:`predict`'s list), e.g. ``for result in predictor.stream("photos/"): ...``.

        Args:
            source: a video file (by suffix: ``.mp4``, ``.avi`` ...), a camera index (``0`` or
                ``"0"``), a stream URL (``rtsp://`` ...) or an open :class:`VideoSource`; or
                images and videos: a folder (its image files, sorted, no subfolders, videos
                skipped with a warning naming them and the pattern ``folder/*`` that gives
                them, as ``tools/infer.py`` reads one), a glob pattern (its image and video
                files, sorted, other files skipped, as ``tools/infer.py`` expands one), or
                anything :meth:`predict` takes (a path, an array, a PIL image, a tensor, a
                list, tuple, iterator or generator of these), where video files may stand among
                the images (``["a.mp4", "photo.jpg", "b.mp4"]``); a camera, a stream URL or an
                open :class:`VideoSource` goes on its own: :mod:`detseg.api.image_stream`.
            score_thr: as in :meth:`predict`.
            max_frames: stop after this many results in all, at least 1: over several videos
                and images, the frames of every video and the images together count (the
                frames of ``"clips/*.mp4"`` stop at the ``max_frames``-th, in whichever video;
                ``tools/infer.py --max-frames`` counts each video apart). Default: every
                image, every video to its end, a camera or a stream until it ends or the loop
                stops.
            classes: as in :meth:`predict`.
            batch_size: images or frames per forward pass (the results of a batch come once
                its last image is read: keep 1 for a camera's lowest latency).
            mask_probabilities: as in :meth:`predict`; off by default (many images'
                probabilities would fill the memory of whoever keeps them).
            bgr: arrays and tensors hold BGR channels; ``True`` is refused for a video given
                alone (files and the frames of videos in a list are decoded RGB).
            stream_timeout: seconds a stream URL may take to open and to give each frame
                (default :data:`~detseg.api.video_streams.STREAM_TIMEOUT`, 10; OpenCV's own
                is 30); an INFO line says so before the stream is opened, and a stream silent
                for longer ends. Raise it for a slow network or camera.

        Returns:
            An iterator of results in input order, one per image and one per frame of each
            video (one video open at a time, closed after its last frame or when the loop
            stops);
            those of images are :meth:`predict`'s (same ``path``, boxes, labels, scores), a
            frame's has ``frame`` (index from 0) and ``time`` (seconds) set, and ``path``: its
            video file (``None`` for a camera or a stream). Only the batch being predicted is
            held: a result the loop drops is freed.

        Raises:
            ValueError: here, before the first result: ``score_thr`` outside ``[0, 1]`` or
                given to a segmenter, ``max_frames`` or ``batch_size`` below 1, a class the
                model does not have, ``bgr`` or ``mask_probabilities`` other than ``True`` or
                ``False``, a ``stream_timeout`` that is not a positive number of seconds,
                ``bgr=True`` for a video; a video given alone that cannot
                be decoded, a camera or stream that cannot be opened, a closed
                :class:`VideoSource`; a source or list item of a kind :meth:`predict` refuses,
                a camera, a stream URL or an open :class:`VideoSource` among other inputs, a
                folder without images or a glob pattern without images or videos; an image
                file named by the source that is missing, unreadable or empty
                (``ImageReadError``, as :meth:`predict`).
                When its batch is read, naming the item: an image file that cannot be decoded
                (``ImageReadError``, as :meth:`predict` raises it), a video of a list or a
                pattern that cannot be decoded (the error of that video given alone), the
                pixels of an array, tensor or PIL image, any problem of an iterator's item; the
                stream stops there, after the results of the inputs before it, in its batch too
                (``tools/infer.py`` reports an unreadable file and goes on with the others).
            FileNotFoundError: here: a video file that does not exist (alone or in a list).
        """
        score_thr = check_score_thr(score_thr, self.task, self.config.model.name)
        if max_frames is not None:
            check_at_least_one(max_frames, "max_frames")
        check_at_least_one(batch_size, "batch_size")
        check_switch(bgr, "bgr")
        check_switch(mask_probabilities, "mask_probabilities")
        stream_timeout = check_stream_timeout(stream_timeout)
        settings = (score_thr, self.labels_of(classes), batch_size, mask_probabilities)
        return stream_source(self, source, settings, max_frames, bgr, stream_timeout)

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
        classes = f"{len(self.classes)} classes {short_list(self.classes)}"
        return f"Predictor({kind}, {classes}, {settings}, on {self.device})"

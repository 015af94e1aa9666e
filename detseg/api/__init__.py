"""The Python API: ``detseg.load(checkpoint).predict(image)``, its results, videos and cameras.

- :mod:`~detseg.api.predictor`: :func:`load` and :class:`Predictor` (``predict`` on paths,
  numpy arrays, PIL images, tensors and lists of them; ``stream`` over video frames, or over
  images and videos one batch at a time: :mod:`~detseg.api.image_stream`,
  :mod:`~detseg.api.media_stream`);
  :mod:`~detseg.api.batch_prediction` runs the model on each batch,
  :mod:`~detseg.api.prediction_checks` checks ``score_thr``, ``classes`` and the
  items of ``predict_images``.
- :mod:`~detseg.api.results`: :class:`DetectionResult` (with instance ``masks`` from a model
  that has them) and :class:`SegmentationResult`, with class names, ``plot``, ``save`` and
  ``to_coco`` (COCO detection results; a label map: COCO stuff-segmentation results).
- :mod:`~detseg.api.inputs`: the accepted image kinds, checked and turned into detseg images
  (the pixels of arrays and tensors: :mod:`~detseg.api.array_images`; of PIL images:
  :mod:`~detseg.api.pil_images`).
- :mod:`~detseg.api.video`: :class:`VideoSource` (a file, a camera index, a stream URL) and
  :class:`VideoWriter` (``.mp4``), with OpenCV; :mod:`~detseg.api.video_names` tells what
  names a video (:func:`is_video_source`), :mod:`~detseg.api.video_file_problems` why a file
  cannot be opened.
- :mod:`~detseg.api.video_outputs`: :func:`predict_video`, an annotated video and one JSON
  line per frame (what ``tools/infer.py`` writes for a video).
- :mod:`~detseg.api.image_outputs`: :func:`~detseg.api.image_outputs.detect_images` and
  :func:`~detseg.api.image_outputs.segment_images`, the drawn images, label maps and
  ``predictions.json`` that ``tools/infer.py`` writes for images.
"""

from detseg.api.inputs import InputImage, as_images
from detseg.api.predictor import Predictor, Result, load
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.api.video import Frame, VideoSource, VideoWriter
from detseg.api.video_names import is_video_source
from detseg.api.video_outputs import VideoRun, predict_video

__all__ = [
    "DetectionResult",
    "Frame",
    "InputImage",
    "Predictor",
    "Result",
    "SegmentationResult",
    "VideoRun",
    "VideoSource",
    "VideoWriter",
    "as_images",
    "is_video_source",
    "load",
    "predict_video",
]

"""Export to ONNX and TorchScript, and the check of an exported file against the model.

    result = export_model("runs/demo/best.pt", "demo.onnx", format="onnx", dynamic=True)
    report = verify_export(result)    # onnxruntime vs model.predict on the val split's images

- :mod:`~detseg.export.model_export`: :func:`export_model`, which runs the steps in turn:
  :mod:`~detseg.export.export_source` (the model exported, :func:`load_for_export`),
  :mod:`~detseg.export.example_input` (the example traced, :func:`default_input_size`),
  :mod:`~detseg.export.graph_writing` (the file written) and
  :mod:`~detseg.export.export_result` (:class:`ExportResult`, what was written);
  :mod:`~detseg.export.sidecar`: the sidecar ``<file>.json``;
  :mod:`~detseg.export.export_settings`: the checks of the settings before anything is written.
- :mod:`~detseg.export.export_error`: :class:`ExportError`, whose message names a setting as
  ``export_model``'s keyword or as a tool's flag.
- :mod:`~detseg.export.wrappers`: the traced module of each model family (what the graph
  computes); :mod:`~detseg.export.two_stage` (Faster R-CNN) and
  :mod:`~detseg.export.single_stage` (RetinaNet, SSD, YOLO) hold the detectors' graphs,
  :mod:`~detseg.export.traceable` their size-independent steps.
- :mod:`~detseg.export.onnx_export`, :mod:`~detseg.export.torchscript_export`: the writers.
- :mod:`~detseg.export.verify`, :mod:`~detseg.export.comparison`: :func:`verify_export` and
  its tolerances; :mod:`~detseg.export.check_images`: the images it runs on (given ones, the
  val split of the checkpoint's config, else generated noise);
  :mod:`~detseg.export.candidate_detections`: a detector's candidates, which an excused
  exported detection must be one of.
"""

from detseg.choices.export_formats import DEFAULT_OPSET, FORMATS
from detseg.export.comparison import Tolerance
from detseg.export.example_input import default_input_size
from detseg.export.export_error import ExportError
from detseg.export.export_result import ExportResult
from detseg.export.export_source import load_for_export
from detseg.export.model_export import export_model
from detseg.export.verify import VerificationReport, verification_images, verify_export
from detseg.export.wrappers import export_graph

__all__ = [
    "DEFAULT_OPSET",
    "FORMATS",
    "ExportError",
    "ExportResult",
    "Tolerance",
    "VerificationReport",
    "default_input_size",
    "export_graph",
    "export_model",
    "load_for_export",
    "verification_images",
    "verify_export",
]

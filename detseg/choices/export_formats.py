"""The file formats a model exports to, and the default ONNX opset (no torch import).

The export itself is :func:`detseg.export.export_model`; ``tools/export.py`` offers these as
``--format`` and the default of ``--opset``.
"""

from __future__ import annotations

FORMATS = ("onnx", "torchscript")
DEFAULT_OPSET = 18

"""The ``--compile`` modes of the model benchmarks (no torch import).

What each mode compiles is said and done in :mod:`detseg.benchmark.compilation`;
``tools/benchmark.py model --compile`` offers them.
"""

from __future__ import annotations

# --compile modes, see detseg.benchmark.compilation
COMPILE_MODES = ("none", "backbone", "all")

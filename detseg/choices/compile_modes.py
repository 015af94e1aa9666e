"""What ``torch.compile`` compiles: ``none``, ``backbone`` or ``all`` (no torch import).

The config key ``model.compile`` (applied by :mod:`detseg.engine.runtime.compiling`) and
``tools/benchmark.py model --compile`` (:mod:`detseg.benchmark.compilation`) take these modes:
nothing, the model's ``backbone`` module, or the whole call.
"""

from __future__ import annotations

from typing import Literal, get_args

#: The type of ``model.compile``.
CompileMode = Literal["none", "backbone", "all"]
#: Its values, in order (``tools/benchmark.py model --compile``).
COMPILE_MODES: tuple[str, ...] = get_args(CompileMode)

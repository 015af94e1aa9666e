"""After a bare ``import detseg``, the dotted paths the README and docs/extending.md write
(``detseg.engine.checkpointing.load_model``, ``detseg.evaluation.checkpoint_eval``) resolve,
and so do the modules of ``detseg.data`` and ``detseg.visualize``: the packages of lazy names
import a submodule or subpackage on first use, as ``detseg`` imports its own;
a name that is neither still raises ``AttributeError`` naming it."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: in the test process other tests have imported the submodules already.
PROBE = """
import sys
import detseg
assert "detseg.engine.checkpointing" not in sys.modules
assert callable(detseg.engine.checkpointing.load_model)
assert callable(detseg.evaluation.checkpoint_eval.evaluate_checkpoint)
assert detseg.engine.checkpointing is sys.modules["detseg.engine.checkpointing"]
assert callable(detseg.engine.train)
assert callable(detseg.evaluation.coco_evaluate)
assert detseg.data.albumentations_import.A is sys.modules["albumentations"]
assert detseg.visualize.captions is sys.modules["detseg.visualize.captions"]
for package, name in (
    (detseg.engine, "no_such_part"),
    (detseg.evaluation, "no_such_metric"),
    (detseg.data, "no_such_reader"),
    (detseg.visualize, "no_such_plot"),
):
    try:
        getattr(package, name)
    except AttributeError as error:
        assert str(error) == f"module {package.__name__!r} has no attribute {name!r}", error
    else:
        raise AssertionError(f"{package.__name__}.{name} gave a value")
print("ok")
"""


def test_submodules_resolve_as_attributes_after_a_bare_import():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

"""``import detseg`` alone gives the subpackages on first use (``detseg.engine.train``,
``detseg.config.load_config``, as the README writes them), without importing torch until one
is read, and lists them in ``dir(detseg)`` for a notebook's tab completion."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: in the test process other tests have imported the subpackages already.
PROBE = """
import sys
import detseg
assert "torch" not in sys.modules, "import detseg imported torch"
names = dir(detseg)
assert {"engine", "config", "models", "data", "load"} <= set(names), names
assert "pkgutil" not in names and "importlib" not in names, names
assert callable(detseg.engine.train) and callable(detseg.config.load_config)
assert "faster_rcnn" in detseg.models.MODELS
try:
    detseg.no_such_part
except AttributeError as error:
    assert "no_such_part" in str(error)
else:
    raise AssertionError("detseg.no_such_part gave a value")
print("ok")
"""


def test_subpackages_come_on_first_use_after_a_bare_import():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

"""Profiling on the CPU (``tools/benchmark.py model --profile``) prints the profile and nothing
else: none of the profiler library's own log lines ("profiler_start", "gpuGetDeviceCount
failed") on stderr."""

from __future__ import annotations

import textwrap

_SCRIPT = """
import torch
from detseg.benchmark.profiling import format_profile, profile_call

model, x = torch.nn.Linear(4, 2), torch.rand(3, 4)
with torch.no_grad():
    result = profile_call(lambda: model(x), torch.device("cpu"), calls=1, top=3)
print("\\n".join(format_profile(result, "linear")))
"""


def test_a_cpu_profile_writes_nothing_to_stderr(run_tool, tmp_path) -> None:
    script = tmp_path / "profile_linear.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    done = run_tool(str(script), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("linear: kernel launches n/a (cpu)")
    assert done.stderr == ""

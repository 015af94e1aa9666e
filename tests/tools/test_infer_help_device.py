"""``tools/infer.py --help`` states the rule of ``--device``: ``auto`` picks the machine's best
device, the checkpoint's own ``device`` key is not used, and a ``--set device=...`` item
applies only with ``auto`` (``detseg.load``'s rule: tests/api/test_device_override.py)."""

from __future__ import annotations


def test_help_states_when_the_config_device_applies(run_tool):
    result = run_tool("infer.py", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--device DEVICE auto (default: CUDA when available, else the CPU)" in text, text
    assert "the device key of the checkpoint's config is not used" in text, text
    assert "a --set device=... item applies only with auto" in text, text

"""``tools/convert_torchvision.py`` with a weights file that does not exist: one line naming
the file and what to give."""

from __future__ import annotations

import pytest

from detseg.convert.torchvision_archs import read_state_dict


def test_a_missing_file_says_what_to_give(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        read_state_dict(tmp_path / "missing.pth")
    assert str(info.value) == (
        f"weights file not found: {tmp_path / 'missing.pth'}; give a torchvision state-dict "
        "file (.pth)"
    )


def test_the_tool_exits_2_with_one_line(tmp_path, run_tool):
    missing = tmp_path / "missing.pth"
    result = run_tool("convert_torchvision.py", "auto", missing, tmp_path / "out.pt")
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"convert_torchvision: error: weights file not found: {missing}; give a torchvision "
        "state-dict file (.pth)\n"
    )
    assert not (tmp_path / "out.pt").exists()

"""``tools/convert_torchvision.py`` with an OUT it cannot write: one line naming OUT, exit code 2.

OUT is positional; the tool names it for ``run_command``, whose line then names it as the user
gave it: under a regular file, a name longer than the file system takes (refused while OUT is
checked, before the conversion), and a new entry in ``/proc`` (where the temporary file that
the atomic write makes beside OUT fails first). The tool runs in this process (``runpy``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tool_in_process import run_tool_here
from torchvision.models import detection as tv_detection


@pytest.fixture(scope="module")
def state_dict_file(tmp_path_factory) -> Path:
    """A torchvision SSDlite state dict (random weights, 2 foreground classes)."""
    torch.manual_seed(0)
    model = tv_detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=3
    )
    path = tmp_path_factory.mktemp("tv") / "ssdlite.pth"
    torch.save(model.state_dict(), path)
    return path


def convert(capsys, *args: object) -> tuple[int, list[str]]:
    """``(exit code, stderr lines)`` of ``convert_torchvision.py auto ARGS`` run here."""
    code = run_tool_here("convert_torchvision.py", "auto", *args)
    return code, capsys.readouterr().err.splitlines()


def unwritable(where: str, tmp_path: Path) -> Path:
    if where == "under_a_file":
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        return blocker / "converted.pt"
    if where == "too_long":
        return tmp_path / ("x" * 300 + ".pt")
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc file system")
    return Path("/proc/detseg_test_output.pt")


@pytest.mark.parametrize("where", ["under_a_file", "too_long", "proc"])
def test_an_unwritable_out_is_one_line_naming_it(capsys, tmp_path, state_dict_file, where):
    out = unwritable(where, tmp_path)
    code, lines = convert(capsys, state_dict_file, out)
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"convert_torchvision: error: cannot write {out}: "), lines
    assert lines[0].endswith("; choose a writable file for OUT"), lines
    assert ".tmp" not in lines[0], lines
    if where == "under_a_file":
        assert f"{tmp_path / 'a_file'} is a file" in lines[0]

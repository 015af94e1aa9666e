"""Files written through ``written_atomically`` (checkpoints, exported models) get the
permission bits of a file written by hand: ``0o666`` less the umask for a new file (a serving
process under another user can read them), an existing file's own when it is replaced."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from detseg.engine.checkpointing.checkpoint import written_atomically

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _write(path: Path) -> int:
    with written_atomically(path) as partial:
        partial.write_bytes(b"weights")
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        assert _write(tmp_path / "best.pt") == mode
        assert os.umask(umask) == umask  # the umask is left as it was
    finally:
        os.umask(old)


def test_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    path.chmod(0o640)
    assert _write(path) == 0o640
    assert path.read_bytes() == b"weights"


def test_a_read_only_file_is_replaced_and_stays_read_only(tmp_path: Path) -> None:
    """The mode is given once the new file is written: a read-only file (``0o444``) is
    replaced (the folder is writable), where a read-only temporary file could not be written
    by a user other than root."""
    path = tmp_path / "best.pt"
    path.write_bytes(b"old")
    path.chmod(0o444)
    with written_atomically(path) as partial:
        assert stat.S_IMODE(partial.stat().st_mode) & stat.S_IWUSR  # writable while written
        partial.write_bytes(b"weights")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert path.read_bytes() == b"weights"
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]  # no temporary file left

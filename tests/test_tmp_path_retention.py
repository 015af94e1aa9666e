"""A passing test's ``tmp_path`` folder is removed when the test ends; a failing test's folder
stays for a look (``tmp_path_retention_policy = "failed"`` in ``pyproject.toml``). The training
tests leave checkpoints of full-size models (100-400 MB a test), so keeping every folder of the
last three runs under ``/tmp/pytest-of-<user>`` fills tens of GB.

Checked on a two-test file run by pytest with the project's settings, in a process of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

TWO_TESTS = """
from pathlib import Path

RECORD = Path({record!r})


def _leave_a_file(tmp_path, name):
    (tmp_path / "checkpoint.pt").write_bytes(bytes(1000))
    with RECORD.open("a") as record:
        record.write(f"{{name}} {{tmp_path}}\\n")


def test_passes(tmp_path):
    _leave_a_file(tmp_path, "passes")


def test_fails(tmp_path):
    _leave_a_file(tmp_path, "fails")
    assert False
"""


def test_only_failing_tests_keep_their_tmp_path(tmp_path):
    record = tmp_path / "record.txt"
    test_file = tmp_path / "checks" / "test_two.py"
    test_file.parent.mkdir()
    test_file.write_text(TWO_TESTS.format(record=str(record)))
    command = [sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml")]
    command += ["-n", "0", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'base'}"]
    result = subprocess.run(
        [*command, str(test_file)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    folders = dict(line.split(" ", 1) for line in record.read_text().splitlines())
    assert not Path(folders["passes"]).exists()
    assert (Path(folders["fails"]) / "checkpoint.pt").is_file()

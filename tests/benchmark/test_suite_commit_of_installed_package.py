"""The suite report's commit is detseg's own: a detseg installed into a virtual environment
inside another project's git checkout (``project/.venv/lib/.../site-packages``) reports no
commit rather than that project's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from detseg.benchmark.suite_environment import git_commit

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

_IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def _repository(root: Path) -> str:
    """A git repository at ``root`` with one commit; its short commit id."""
    root.mkdir()
    (root / "a.txt").write_text("a\n")
    for command in (["init", "-q"], ["add", "a.txt"], [*_IDENTITY, "commit", "-q", "-m", "a"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, check=True, capture_output=True
    )
    return result.stdout.decode().strip()


def test_a_folder_inside_another_repository_has_no_commit(tmp_path):
    _repository(tmp_path / "project")
    site_packages = tmp_path / "project" / ".venv" / "lib" / "site-packages"
    site_packages.mkdir(parents=True)
    assert git_commit(site_packages) == "unknown (not a git checkout)"


def test_the_top_of_a_checkout_has_its_commit(tmp_path):
    commit = _repository(tmp_path / "detseg")
    assert git_commit(tmp_path / "detseg") == commit

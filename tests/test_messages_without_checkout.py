"""The messages of detseg/ fit a pip install, which has no checkout: no tools/, configs/,
docs/ or datasets/README.md.

A message (any string of detseg/ that is not a docstring: errors, warnings, log lines, report
text) cannot know whether its tool was started as ``detseg-check-data`` or as
``python tools/check_data.py``, so one that names a tool's script names its installed command
too (``detseg-check-data (tools/check_data.py)``); it points to no guide of docs/ and no
datasets/README.md, and names a packaged config by its name (``--data datasets/voc``), not by a
path under configs/. The tools' own help and error lines name the tool as it was started
(tests/tools/test_command_names.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from detseg_tools.command_names import COMMANDS

REPO = Path(__file__).resolve().parents[1]

#: A script named in a message: ``tools/check_data.py`` or ``check_data.py`` (the stem is the
#: group; not ``detseg/engine/training/train.py``).
SCRIPT = re.compile(r"(?<![\w./-])(?:tools/)?(\w+)\.py\b")

#: A file only a checkout has.
CHECKOUT_FILE = re.compile(r"datasets/README|docs/\w+\.md|(?<![\w/.~-])configs/")


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (of a module, class or function) or
    attribute docstrings (a bare string statement)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _text(node: ast.AST) -> str | None:
    """The text of a string or f-string node (an f-string's literal parts joined), else
    ``None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return None


def messages(folder: Path) -> list[tuple[str, str]]:
    """``(file:line, text)`` of every string of ``folder``'s modules that is not a docstring
    (an f-string as one text, its parts inside it left out)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        parts = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            text = _text(node)
            if text is not None and id(node) not in skip | parts:
                found.append((f"{path.relative_to(REPO)}:{node.lineno}", text))
    return found


MESSAGES = messages(REPO / "detseg")


def test_the_scan_finds_the_messages():
    texts = [text for _, text in MESSAGES]
    assert any("detseg-check-data (tools/check_data.py) lists every such image" in t for t in texts)
    assert not any(t.startswith("The configs that come with detseg") for t in texts)  # docstring


NAMING_SCRIPTS = [
    (where, text)
    for where, text in MESSAGES
    if any(stem in COMMANDS for stem in SCRIPT.findall(text))
]


@pytest.mark.parametrize(("where", "text"), NAMING_SCRIPTS, ids=[w for w, _ in NAMING_SCRIPTS])
def test_a_tool_s_script_comes_with_its_command(where, text):
    for stem in set(SCRIPT.findall(text)) & set(COMMANDS):
        command = re.escape(COMMANDS[stem]) + r"(?![\w-])"  # not detseg-convert-torchvision
        assert re.search(command, text), f"{where}: {text!r} names {stem}.py alone"


def test_no_message_points_into_a_checkout():
    found = [f"{where}: {text!r}" for where, text in MESSAGES if CHECKOUT_FILE.search(text)]
    assert not found, "\n".join(found)


def test_the_data_root_error_names_the_command_that_makes_the_shapes(tmp_path):
    """The first error of ``detseg-train demo`` in an empty folder: no dataset made yet."""
    from detseg.data.registry import build_dataset

    with pytest.raises(FileNotFoundError) as caught:
        build_dataset({"format": "coco", "root": str(tmp_path / "shapes")}, "train")
    message = str(caught.value)
    assert "is not a folder" in message
    assert f"detseg-make-shapes --out {tmp_path / 'shapes'}," in message  # into that root
    assert "tools/make_shapes.py" in message  # the checkout's script too


def test_a_folder_without_splits_is_told_the_layout(tmp_path):
    from detseg.convert.datasets.convert import read_dataset

    with pytest.raises(FileNotFoundError) as caught:
        read_dataset(tmp_path, "voc")
    assert str(caught.value) == (
        f"no voc splits found in {tmp_path} (expected ImageSets/Main/<split>.txt in the dataset "
        "folder); for another layout give as the source a data file naming the files by the "
        f"keys training reads (data: {{format: voc, root: {tmp_path}, train_split: ...}} and the "
        "val_ ones)"
    )

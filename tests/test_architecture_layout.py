"""The layout block of docs/ARCHITECTURE.md names every module of detseg/, and nothing else.

The block is a tree: a line ending in ``name/`` opens a folder, the lines indented under it
(and the rest of its own line) list its files. A module counts as named when its file name
(``coco.py``), or for the torch-free ``choices/`` lists its stem (``tta_modes``), is written in
its folder's lines; ``{coco,voc,yolo}_{reader,writer}.py`` names the six files it expands to. A
``.py`` name there that is no file of that folder must be a script of ``tools/`` (the layout
says which tool a module serves: ``(check_data.py)``).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"


def _layout_lines() -> list[str]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Layout") :]
    start = section.index("```") + 3
    return section[start : section.index("```", start)].splitlines()[1:]


def _folder_texts() -> dict[str, str]:
    """Folder (``detseg/data/``) -> the text of the layout lines that list its files."""
    texts: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in _layout_lines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        first = line.split()[0]
        if first.endswith("/"):
            while stack and stack[-1][0] >= indent:
                stack.pop()
            folder = (stack[-1][1] if stack else "") + first
            stack.append((indent, folder))
            texts.setdefault(folder, "")
            line = line.replace(first, "", 1)
        else:
            # a file line of the enclosing folder, or the continuation of a folder's listing
            while stack and stack[-1][0] >= indent:
                stack.pop()
        folder = stack[-1][1] if stack else ""
        texts[folder] = texts.get(folder, "") + " " + line
    return texts


def _named_files(text: str) -> set[str]:
    names = set()
    for token in re.findall(r"[\w{},]+\.py", text):
        braces = re.fullmatch(r"\{([\w,]+)\}_\{([\w,]+)\}\.py", token)
        if braces:
            for a, b in itertools.product(braces[1].split(","), braces[2].split(",")):
                names.add(f"{a}_{b}.py")
        else:
            names.add(token)
    return names


def test_every_detseg_module_is_in_the_layout() -> None:
    texts = _folder_texts()
    missing = []
    for path in sorted((ROOT / "detseg").rglob("*.py")):
        if path.name == "__init__.py" or "__pycache__" in path.parts:
            continue
        folder = path.parent.relative_to(ROOT).as_posix() + "/"
        text = texts.get(folder, "")
        named = path.name in _named_files(text)
        if folder.endswith("choices/"):
            named = named or re.search(rf"\b{path.stem}\b", text) is not None
        if not named:
            missing.append(path.relative_to(ROOT).as_posix())
    assert not missing, f"docs/ARCHITECTURE.md's layout does not list: {missing}"


def test_every_file_in_the_layout_exists() -> None:
    tools = {path.name for path in (ROOT / "tools").glob("*.py")}
    absent = []
    for folder, text in _folder_texts().items():
        for name in _named_files(text):
            if not (ROOT / folder / name).exists() and name not in tools:
                absent.append(folder + name)
    assert not absent, f"docs/ARCHITECTURE.md's layout names missing files: {sorted(absent)}"

"""The references a markdown guide writes in code, found mechanically (see
tests/test_docs_names.py for what is found and how each kind is checked).

:func:`references` reads the inline code spans of a text (fenced blocks left out) and the lines
of its fenced blocks; each :class:`Reference` is one mention with its kind, text and place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: First path parts that name the repository in a fenced block (where ``data/`` is a user's).
ROOT_ENTRIES = ("detseg", "tools", "configs", "docs", "tests")
FENCE = re.compile(r"^[ \t]*```([^\n]*)\n(.*?)^[ \t]*```", re.M | re.S)
SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
DETSEG_NAME = re.compile(r"(?<![\w./-])detseg(?:_tools)?(?:\.[A-Za-z_]\w*)+")
CALL = re.compile(r"(?<![\w])((?:detseg\.)?(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\(")
MAKE = re.compile(r"(?<![\w-])make ([a-z][\w-]*)")
COMMAND = re.compile(r"(?<![\w./-])detseg-[a-z][a-z-]*[a-z]")
SHORT_NAME = re.compile(r"(?<![\w./:-])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)+)(?![\w/-])")
FROM_IMPORT = re.compile(r"^\s*from\s+(detseg[\w.]*)\s+import\s+\(?([\w\s,]+)\)?", re.M)
IMPORT = re.compile(r"^\s*import\s+(detseg[\w.]*)", re.M)
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
TOOL = re.compile(r"(?<![\w/.-])(?:tools/)?(\w+)\.py(?![\w/])|(?<![\w/.-])(detseg-[a-z-]+)")
SECTIONS = ("train", "eval", "model", "data")
KEY = re.compile(r"(?<![\w./-])(train|eval|model|data)((?:\.[a-z_]\w*)+)(?![\w(/-])")
FILE_SUFFIX = re.compile(r"\.(py|yaml|yml|md|json|txt|toml|sh|cfg)$")
OUTPUT_SUFFIX = re.compile(r"\.(py|yaml|yml|md|json|jsonl|txt|png|jpg|pt|pth|onnx|html|csv)$")
PLACEHOLDER = re.compile(r"[<>*{}\[\]|~]|(^|/)(X|N|A|DIR|OUT|WORK_DIR)(/|$|\.)|://")


@dataclasses.dataclass(frozen=True)
class Reference:
    """One mention: its ``kind`` (name, short, keyword, path, flag, command, make, key), its
    ``text`` and where it is written (``doc:line``)."""

    kind: str
    text: str
    where: str
    tool: str = ""  # for a flag: the tool written with it ("" when none)
    command: str = ""  # for a flag: the benchmark.py command written with it, if any


def _spans_and_blocks(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """``(line, span)`` for each inline code span and ``(line, language, block)`` for each
    fenced block."""
    blocks = [
        (text.count("\n", 0, m.start()) + 1, m.group(1).strip(), m.group(2))
        for m in FENCE.finditer(text)
    ]
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    spans = [
        (prose.count("\n", 0, m.start()) + 1, " ".join(m.group(2).split()))
        for m in SPAN.finditer(prose)
    ]
    return spans, blocks


def _flag_references(chunk: str, where: str, bare: bool) -> Iterator[Reference]:
    """Flags of ``chunk`` (a span, or one command of a fenced block): each ``--flag`` with the
    tool written before it; with ``bare``, flags before any tool too (tool ``""``)."""
    for part in re.split(r"&&|;|\|\|", chunk):
        tool, command, last = "", "", 0
        for match in list(TOOL.finditer(part)) + [None]:
            end = match.start() if match else len(part)
            if tool or bare:
                for flag in FLAG.findall(part[last:end]):
                    yield Reference("flag", flag, where, tool, command)
            if match:
                tool = match.group(1) or match.group(2)
                if match.group(1) and not _is_tool(match.group(1)):
                    tool = ""  # a .py file that is no tool (flags after it are unchecked)
                words = part[match.end() :].split()
                command = words[0] if words and re.fullmatch(r"[a-z]+", words[0]) else ""
                last = match.end()


def _path_references(chunk: str, where: str) -> Iterator[Reference]:
    """Tokens of ``chunk`` with a ``/`` or a file suffix (quotes and punctuation around them
    left out)."""
    for token in re.split(r"[\s(),;=:\"'`]+", chunk):
        token = token.rstrip(".")
        if "/" in token or FILE_SUFFIX.search(token):
            yield Reference("path", token, where)


def _keyword_references(span: str, where: str) -> Iterator[Reference]:
    """``name(a, key=value, ...)`` in ``span`` -> a reference ``name(key=)`` naming the
    keywords written at the call's top level (``name`` bare or ``detseg.``-dotted)."""
    for match in CALL.finditer(span):
        name = match.group(1)
        if "." in name and not name.startswith("detseg."):
            continue  # torch.load(...), model.predict(...): not checked
        depth, args = 0, ""
        for char in span[match.end() - 1 :]:
            depth += char in "([{"
            depth -= char in ")]}"
            if depth == 0:
                break
            args += char if depth > 1 or char not in "(" else ""
        top, depth = [""], 0
        for char in args:
            depth += char in "([{"
            depth -= char in ")]}"
            if char == "," and depth == 0:
                top.append("")
            else:
                top[-1] += char
        keywords = [m[1] for a in top if (m := re.match(r"\s*([a-z_]\w*)\s*=(?!=)", a))]
        if keywords:
            yield Reference("keyword", f"{name}({'=, '.join(keywords)}=)", where)


def _is_tool(stem: str) -> bool:
    """``tools/<stem>.py`` is a command (not a module the tools share)."""
    path = ROOT / "tools" / f"{stem}.py"
    return path.is_file() and "\ndef cli(" in path.read_text(encoding="utf-8")


def references(text: str, doc: str = "doc") -> list[Reference]:
    """Every checkable reference of markdown ``text`` (see the module docstring)."""
    spans, blocks = _spans_and_blocks(text)
    found: list[Reference] = []
    for line, span in spans:
        where = f"{doc}:{line}"
        for name in DETSEG_NAME.findall(span):
            found.append(Reference("name", name, where))
        for match in SHORT_NAME.finditer(span):
            if match.group(1) not in (
                "detseg",
                "detseg_tools",
                *SECTIONS,
            ) and not OUTPUT_SUFFIX.search(match.group(0)):
                found.append(Reference("short", match.group(0), where))
        found.extend(_path_references(span, where))
        found.extend(Reference("command", command, where) for command in COMMAND.findall(span))
        found.extend(_keyword_references(span, where))
        found.extend(Reference("make", target, where) for target in MAKE.findall(span))
        found.extend(_flag_references(span, where, bare=True))
        for match in KEY.finditer(span):
            if not FILE_SUFFIX.search(match.group(0)):  # train.py, data.yaml: file names
                found.append(Reference("key", match.group(0), where))
    for line, language, block in blocks:
        for offset, command in enumerate(block.replace("\\\n", " ").splitlines()):
            found.extend(_flag_references(command, f"{doc}:{line + offset + 1}", bare=False))
        for offset, text_line in enumerate(block.splitlines()):
            if language == "bash":
                for target in MAKE.findall(text_line.split("#")[0]):
                    found.append(Reference("make", target, f"{doc}:{line + offset + 1}"))
            for ref in _path_references(text_line, f"{doc}:{line + offset + 1}"):
                if ref.text.split("/")[0] in ROOT_ENTRIES or "/" not in ref.text:
                    found.append(ref)  # not data/VOC2007: a user's folder in an example
        if language != "python":  # --set keys of command lines (not attributes of objects)
            for offset, text_line in enumerate(block.splitlines()):
                for match in KEY.finditer(text_line):
                    if not FILE_SUFFIX.search(match.group(0)):
                        found.append(Reference("key", match.group(0), f"{doc}:{line + offset + 1}"))
        for module, names in FROM_IMPORT.findall(block):
            for name in names.replace("\n", " ").split(","):
                if name.strip():
                    found.append(Reference("name", f"{module}.{name.split()[0]}", f"{doc}:{line}"))
        for module in IMPORT.findall(block):
            found.append(Reference("name", module, f"{doc}:{line}"))
    return found

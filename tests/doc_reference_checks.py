"""Whether a :class:`doc_references.Reference` resolves in this checkout: :func:`problem`.

Names are imported, paths looked up on disk, flags read from the tools' parsers (caught in
process, so no tool runs), config keys compared with detseg.config's dataclasses and the model
builders' parameters. See tests/test_docs_names.py for the rules.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import importlib
import inspect
import re
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

from doc_references import PLACEHOLDER, ROOT, Reference
from tool_modules import load_tool


def problem(ref: Reference) -> str | None:
    """Why ``ref`` does not resolve, or None when it does (or is no reference to check)."""
    if ref.kind == "name":
        return None if _resolve(ref.text) else "not importable, nor an attribute"
    if ref.kind == "short":
        targets = _short_name_targets(ref.text)
        if targets and not any(_resolve(target) for target in targets):
            return f"none of {', '.join(targets)} exists"
        return None
    if ref.kind == "path":
        return _path_problem(ref.text)
    if ref.kind == "flag":
        return _flag_problem(ref)
    if ref.kind == "make":
        return None if ref.text in _make_targets() else "no such target in the Makefile"
    if ref.kind == "keyword":
        return _keyword_problem(ref.text)
    if ref.kind == "command":
        return None if ref.text in _commands() else "no such command in pyproject.toml"
    if ref.kind == "key":
        return _key_problem(ref.text)
    raise ValueError(f"unknown reference kind {ref.kind!r}")


def _resolve(dotted: str) -> bool:
    """``dotted`` is an importable module or an attribute (chain) of the longest one."""
    parts = dotted.split(".")
    module: ModuleType | None = None
    index = len(parts)
    while index > 0:
        try:
            module = importlib.import_module(".".join(parts[:index]))
            break
        except ImportError:
            index -= 1
    if module is None:
        return False
    obj: Any = module
    for attr in parts[index:]:
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
        elif inspect.isclass(obj) and _instance_attribute(obj, attr):
            return True  # an instance's attribute: nothing below it to follow
        else:
            return False
    return True


def _instance_attribute(cls: type, attr: str) -> bool:
    """``attr`` is a dataclass field, an annotation, or set as ``self.attr`` by ``cls``."""
    for klass in cls.__mro__:
        if attr in getattr(klass, "__dataclass_fields__", {}):
            return True
        if attr in getattr(klass, "__annotations__", {}):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"self\.{attr}\s*(:[^=]+)?=", source):
            return True
    return False


@functools.cache
def _module_index() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Stem -> detseg modules/packages of that stem; class name -> modules defining it."""
    stems: dict[str, list[str]] = {}
    classes: dict[str, list[str]] = {}
    for path in sorted((ROOT / "detseg").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if path.name == "__init__.py" else parts)
        stems.setdefault(module.rsplit(".", 1)[-1], []).append(module)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).append(module)
    return stems, classes


def _short_name_targets(text: str) -> list[str]:
    """The full dotted names ``first.rest`` may mean: ``first`` as the stem of a detseg module
    or package, or as a class of detseg (none: not a name of this repository)."""
    first, _, rest = text.partition(".")
    stems, classes = _module_index()
    return [f"{module}.{rest}" for module in stems.get(first, [])] + [
        f"{module}.{text}" for module in classes.get(first, [])
    ]


@functools.cache
def _repository_entries() -> tuple[set[str], set[str], list[Path]]:
    """First path parts that mean the repository, the names of its files, and the folders a
    relative path may start from (the root, detseg/ and every folder of detseg/)."""
    tops = {p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name == ".ci"}
    tops -= {"runs", "detseg.egg-info"}  # run outputs, build leftovers
    bases = [ROOT] + sorted(
        p for p in [ROOT / "detseg", *(ROOT / "detseg").rglob("*")] if p.is_dir()
    )
    bases = [p for p in bases if p.name != "__pycache__"]
    firsts = set(tops)
    for base in bases[1:]:
        firsts.update(p.name.removesuffix(".py") for p in base.iterdir())
    names = set()
    for folder in ("detseg", "tools", "tests", "configs", "docs", "datasets"):
        names.update(p.name for p in (ROOT / folder).rglob("*") if p.is_file())
    names.update(p.name for p in ROOT.iterdir() if p.is_file())
    return firsts, names, bases


def _path_problem(token: str) -> str | None:
    """Why path ``token`` does not resolve; None when it does or is no repository path."""
    if PLACEHOLDER.search(token) or token.startswith(("runs/", "datasets/", "./", "/")):
        return None
    firsts, names, bases = _repository_entries()
    if "/" not in token:
        if not token.endswith((".py", ".yaml")) or token in names:
            return None  # other bare names are mostly outputs (metrics.json, report.txt)
        return "no file of the repository has this name"
    first = token.split("/")[0]
    if token == f"{first}/":
        return None  # a lone folder name may be a dataset's or a run's (masks/, tb/)
    if first not in firsts and first.removesuffix(".py") not in firsts:
        return None  # a dataset or output layout (images/, annotations/...), not this repository
    rel = token.rstrip("/")
    for base in bases:
        for candidate in (base / rel, base / f"{rel}.py"):
            if candidate.exists() and (not token.endswith("/") or candidate.is_dir()):
                return None
    return "no such file or folder (tried the root, detseg/ and its folders)"


def _all_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """``parser`` under "" and each subcommand's parser under its name."""
    found = {"": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
    return found


class _Caught(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


@functools.cache
def _tool_flags() -> dict[str, dict[str, set[str]]]:
    """Tool stem -> command ("" for the tool itself) -> its option strings. Parsers are caught
    in process: ``parse_args`` is replaced by one that stops with its parser, so no tool runs."""

    def catch(self, args=None, namespace=None):
        raise _Caught(self)

    flags: dict[str, dict[str, set[str]]] = {}
    original, argv = argparse.ArgumentParser.parse_args, sys.argv
    argparse.ArgumentParser.parse_args = catch  # type: ignore[method-assign]
    try:
        for path in sorted((ROOT / "tools").glob("*.py")):
            if "\ndef cli(" not in path.read_text(encoding="utf-8"):
                continue  # a module the tools share, not a tool
            sys.argv = [path.name]
            module = load_tool(path.name)
            try:
                parser = module.build_parser() if hasattr(module, "build_parser") else None
                if parser is None:
                    module.parse_args()
                    raise AssertionError(f"tools/{path.name} parsed without its parser")
            except _Caught as caught:
                parser = caught.parser
            flags[path.stem] = {
                name: {o for a in sub._actions for o in a.option_strings}
                for name, sub in _all_parsers(parser).items()
            }
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
        sys.argv = argv
    return flags


@functools.cache
def _commands() -> dict[str, str]:
    """Installed command (``detseg-infer``) -> tool stem."""
    from detseg_tools.command_names import COMMANDS

    return {command: stem for stem, command in COMMANDS.items()}


def _flag_problem(ref: Reference) -> str | None:
    tools = _tool_flags()
    stem = _commands().get(ref.tool, ref.tool)
    if not stem:
        if any(ref.text in flags for parsers in tools.values() for flags in parsers.values()):
            return None
        return "no tool has this flag"
    if stem not in tools:
        return f"no tool {ref.tool}"
    parsers = tools[stem]
    if ref.command in parsers:
        known = parsers[""] | parsers[ref.command]
    else:
        known = set().union(*parsers.values())
    return None if ref.text in known else f"not a flag of {ref.tool} {ref.command}".rstrip()


def _dataclass_in(annotation: Any) -> type | None:
    """The dataclass an annotation names (directly or in a union), if any."""
    if dataclasses.is_dataclass(annotation):
        return annotation  # type: ignore[return-value]
    for arg in typing.get_args(annotation):
        found = _dataclass_in(arg)
        if found is not None:
            return found
    return None


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@functools.cache
def _signatures() -> dict[str, list[tuple[frozenset[str], bool]]]:
    """Function, method or class name -> ``(parameter names, takes **kwargs)`` of each one
    defined in detseg/ (a class: its ``__init__``, else its annotated fields; a class with
    neither takes anything, its parameters being its base's)."""
    found: dict[str, list[tuple[frozenset[str], bool]]] = {}

    def params(args: ast.arguments) -> tuple[frozenset[str], bool]:
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        return frozenset(names), args.kwarg is not None

    for path in (ROOT / "detseg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(node.name, []).append(params(node.args))
            elif isinstance(node, ast.ClassDef):
                init = [
                    n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"
                ]
                fields = [
                    n.target.id
                    for n in node.body
                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                ]
                if init:
                    found.setdefault(node.name, []).append(params(init[0].args))
                else:
                    found.setdefault(node.name, []).append((frozenset(fields), not fields))
    return found


def _keyword_problem(text: str) -> str | None:
    """``name(a=, b=)``: some callable of that name takes every one of the keywords."""
    name, _, rest = text.partition("(")
    keywords = set(rest.rstrip(")").replace("=", "").split(", "))
    if name.startswith("detseg."):
        parts = name.split(".")
        for index in range(len(parts), 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:index]))
                break
            except ImportError:
                continue
        for attr in parts[index:]:
            obj = getattr(obj, attr, None)
        try:
            parameters = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            return None  # not resolvable here: the name check reports it
        names = {p.name for p in parameters}
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        candidates = [(frozenset(names), takes_any)]
    else:
        candidates = _signatures().get(name, [])
    if not candidates or any(any_ or keywords <= names for names, any_ in candidates):
        return None
    return "no callable of this name takes these keywords"


@functools.cache
def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([\w-]+):", text, flags=re.M))


def _model_key_problem(parts: list[str]) -> str | None:
    from detseg.config.schema import MODEL_RUN_KEYS
    from detseg.models import MODELS

    if parts[0] in MODEL_RUN_KEYS:
        return None if len(parts) == 1 else "a run key has no sub-keys"
    taking = [b for b in MODELS.values() if parts[0] in inspect.signature(b).parameters]
    if not taking:
        return "no builder of detseg.models.MODELS takes this parameter"
    if len(parts) == 1:
        return None
    settings = {_dataclass_in(_hints(builder).get(parts[0])) for builder in taking} - {None}
    if not settings or any(parts[1] in _fields(cls) for cls in settings):  # type: ignore[arg-type]
        return None  # a plain dict parameter has no fixed keys to check
    return f"no field {parts[1]} in the settings of model.{parts[0]}"


def _hints(builder: Any) -> dict[str, Any]:
    """The resolved annotations of a builder (of the function a ``functools.partial`` wraps)."""
    while isinstance(builder, functools.partial):
        builder = builder.func
    return typing.get_type_hints(builder)


def _key_problem(key: str) -> str | None:
    """``section.key[.sub]``: see tests/test_docs_names.py for what each section accepts."""
    from detseg.config.schema import DataConfig, EvalConfig, TrainConfig
    from detseg.data.registry import DATA_DEFAULTS

    section, *parts = key.split(".")
    if section == "model":
        return _model_key_problem(parts)
    if section == "data":
        known = _fields(DataConfig) | {k for keys in DATA_DEFAULTS.values() for k in keys}
        return None if parts[0] in known else "not a DataConfig field or format key"
    cls: type = TrainConfig if section == "train" else EvalConfig
    for depth, part in enumerate(parts):
        if part not in _fields(cls):
            return f"no field {part} in {cls.__name__}"
        hint = _dataclass_in(typing.get_type_hints(cls)[part])
        if hint is None:
            return None if depth == len(parts) - 1 else f"{part} has no sub-keys"
        cls = hint
    return None  # a whole nested section (eval.crf)

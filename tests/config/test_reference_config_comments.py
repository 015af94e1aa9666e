"""The comments of configs/_base_/shapes_cpu.yaml, the file that documents every config key,
say what the code does: the configs built on it, the accepted values of each choice key, the
layers ``train.no_decay_norm_bias`` covers and the EMA ramp of ``train.ema_warmup``."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import typing
from pathlib import Path

import yaml

from detseg.config.schema import EvalConfig, ModelConfig, TrainConfig
from detseg.engine.solver.optim import NORM_TYPES

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
REFERENCE = CONFIGS / "_base_" / "shapes_cpu.yaml"


def _key_comment(key: str, section: str) -> str:
    """The comment of ``key:`` in ``section`` (``train``, ``eval``, ``model``) of the reference
    file, its continuation lines (comment-only lines indented past the key) included."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    in_section = False
    for index, line in enumerate(lines):
        top = re.match(r"^#?\s?(\w+):", line)
        if top and not line.startswith(" ") and not line.startswith("#  "):
            in_section = top.group(1) == section
            continue
        match = re.match(rf"^#?(\s+){key}:[^#]*#(.*)$", line)
        if not (in_section and match):
            continue
        parts = [match.group(2)]
        for following in lines[index + 1 :]:
            continuation = re.match(r"^#?\s+#(.*)$", following)
            if continuation is None:
                break
            parts.append(continuation.group(1))
        return " ".join(part.strip() for part in parts)
    raise AssertionError(f"{REFERENCE.name} has no commented {section}.{key}")


def _direct_bases(path: Path) -> list[Path]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    bases = raw.get("_base_") or []
    return [(path.parent / b).resolve() for b in ([bases] if isinstance(bases, str) else bases)]


def _built_on_reference(path: Path) -> bool:
    return any(b == REFERENCE or _built_on_reference(b) for b in _direct_bases(path))


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_header_names_every_config_built_on_it():
    header = []
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.strip() == "#":
            break
        header.append(line)
    patterns = re.findall(r"configs/[\w*./-]+?\.yaml", "\n".join(header))
    assert patterns
    configs = [p for p in CONFIGS.rglob("*.yaml") if p.resolve() != REFERENCE]
    named = {p for p in configs if any(fnmatch.fnmatch(_relative(p), g) for g in patterns)}
    children = {p for p in configs if REFERENCE in _direct_bases(p)}
    assert not children - named, f"not named in the header: {sorted(map(str, children - named))}"
    strangers = {p for p in named if not _built_on_reference(p)}
    assert not strangers, f"named but not built on it: {sorted(map(str, strangers))}"


def test_each_choice_key_lists_its_accepted_values():
    for section, cls in (("train", TrainConfig), ("eval", EvalConfig), ("model", ModelConfig)):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if typing.get_origin(hints[f.name]) is not typing.Literal:
                continue
            words = set(re.findall(r"[\w.]+", _key_comment(f.name, section).lower()))
            missing = [v for v in typing.get_args(hints[f.name]) if str(v).lower() not in words]
            assert not missing, f"{section}.{f.name}: the comment does not list {missing}"


def test_no_decay_norm_bias_names_every_norm_layer_it_covers():
    comment = _key_comment("no_decay_norm_bias", "train")
    names = [t.__name__.lstrip("_") for t in NORM_TYPES]
    assert names and all(name in comment for name in names), (names, comment)


def test_the_ema_ramp_counts_updates_as_training_md_says():
    formula = re.compile(r"decay \* \(1 - exp\(-(\w+) / ema_warmup\)\)")
    guide = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    [in_guide] = formula.findall(guide)
    [in_reference] = formula.findall(_key_comment("ema_warmup", "train"))
    assert in_guide == in_reference == "updates"

"""configs/_base_/shapes_cpu.yaml, the config that ``train.py --help`` points to for every key:
it documents every schema and data-format key, and the eval keys with their defaults."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import yaml

from detseg.config.schema import Config

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "configs" / "_base_" / "shapes_cpu.yaml"


def _schema_keys(cls: type, prefix: str) -> list[str]:
    keys = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            keys += _schema_keys(hints[f.name], f"{prefix}{f.name}.")
        else:
            keys.append(prefix + f.name)
    return keys


def _documented(text: str, key_path: str) -> bool:
    """``key:`` present (as YAML or in a comment) under its section in the reference file."""
    parsed = yaml.safe_load(text)
    node = parsed
    for part in key_path.split("."):
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
    else:
        return True
    return re.search(rf"(^|[\s#(,]){re.escape(key_path.split('.')[-1])}\b", text, re.M) is not None


def test_the_reference_config_documents_every_key():
    from detseg.data.registry import DATA_DEFAULTS, SEG_DATA_DEFAULTS

    text = REFERENCE.read_text(encoding="utf-8")
    keys = [k for k in _schema_keys(Config, "") if k not in ("model.kwargs", "data.options")]
    for defaults in (*DATA_DEFAULTS.values(), *SEG_DATA_DEFAULTS.values()):
        keys += [f"data.{k}" for k in defaults]
    missing = sorted({k for k in keys if not _documented(text, k)})
    assert not missing, f"{REFERENCE.name} does not document {missing}"


def test_the_reference_config_lists_the_eval_keys_with_their_defaults():
    from detseg.config.schema import CRFConfig, EvalConfig

    section = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["eval"]
    assert section["tta_scales"] == EvalConfig().tta_scales
    assert section["crf"] == dataclasses.asdict(CRFConfig())

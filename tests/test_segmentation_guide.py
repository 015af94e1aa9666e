"""docs/segmentation.md is right as written: its Python block runs, the config files it names
exist and every config key it names (``model.loss.kind``, ``data.mask_suffix``, ...) is one a
config takes.

The Python block loads ``runs/my_unet/best.pt`` and reads
``datasets/shapes/val/images/000000.png``: here a checkpoint of ``unet_shapes.yaml`` with
random weights and a random image stand in for them, in a temporary working directory.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from detseg.config.schema import Config, ModelConfig
from detseg.data.registry import SEG_DATA_DEFAULTS
from detseg.segmentation import builders
from detseg.segmentation.settings import SegmentationInputConfig, SegmentationLossConfig
from tests.random_checkpoints import write_checkpoint

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "segmentation.md"

#: a dotted config key: a section name not preceded by a path or word character
KEY = re.compile(r"(?<![\w/.-])((?:model|data|train|eval)(?:\.[a-z_]+)+)")
#: file suffixes that the key pattern would also match (``eval.py``, ``train.py``)
FILE_SUFFIXES = {"py", "yaml", "md", "json", "jsonl", "png", "txt", "pt", "onnx"}

SEGMENTATION_BUILDERS = (
    builders.fcn,
    builders.fcn_vgg16,
    builders.deeplabv3,
    builders.deeplabv3plus,
    builders.lraspp,
    builders.unet,
    builders.unet_backbone,
)


def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    """The fenced ``python`` code blocks of docs/segmentation.md, in order."""
    return re.findall(r"```python\n(.*?)```", guide_text(), flags=re.DOTALL)


def named_keys() -> set[str]:
    """Every dotted config key the guide names, in text or in commands (the Python block's
    ``model.predict`` is code, not a key)."""
    text = re.sub(r"```python\n.*?```", "", guide_text(), flags=re.DOTALL)
    keys = set()
    for key in KEY.findall(text):
        if key.rsplit(".", 1)[1] not in FILE_SUFFIXES:
            keys.add(key)
    return keys


def _fields(cls: Any) -> dict[str, Any]:
    """Field name -> the field's type as a dataclass (or ``None`` for a leaf)."""
    out = {}
    for field in dataclasses.fields(cls):
        default = field.default
        if default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        out[field.name] = type(default) if dataclasses.is_dataclass(default) else None
    return out


def _schema_key(path: list[str]) -> bool:
    """``path`` (``["eval", "crf", "radius"]``, or the section ``["eval", "crf"]``) is a field
    of :class:`Config`."""
    cls: Any = Config
    for name in path:
        if cls is None:
            return False
        fields = _fields(cls)
        if name not in fields:
            return False
        cls = fields[name]
    return True


def _model_key(path: list[str]) -> bool:
    if path[0] == "loss" and len(path) > 1:
        return len(path) == 2 and path[1] in _fields(SegmentationLossConfig)
    if path[0] == "input" and len(path) > 1:
        return len(path) == 2 and path[1] in _fields(SegmentationInputConfig)
    builder_args = {
        name for builder in SEGMENTATION_BUILDERS for name in inspect.signature(builder).parameters
    }
    return len(path) == 1 and (path[0] in _fields(ModelConfig) or path[0] in builder_args)


def _data_key(path: list[str]) -> bool:
    format_keys = {key for keys in SEG_DATA_DEFAULTS.values() for key in keys}
    return len(path) == 1 and path[0] in {"format", "root", "augmentations", *format_keys}


def is_config_key(key: str) -> bool:
    """``key`` (``model.loss.kind``) is a key a segmentation config takes."""
    section, *path = key.split(".")
    if section == "model":
        return _model_key(path)
    if section == "data":
        return _data_key(path)
    return _schema_key([section, *path])


def test_the_key_check_refuses_made_up_keys():
    assert is_config_key("eval.crf.radius")
    assert is_config_key("model.loss.boundary_weight")
    assert is_config_key("data.mask_suffix")
    for wrong in ("eval.crf.radios", "model.loss.weight", "model.dice_weight", "data.masks"):
        assert not is_config_key(wrong), wrong


def test_every_named_key_is_a_config_key():
    keys = named_keys()
    assert {"model.loss.kind", "data.cache", "eval.tta_scales", "train.max_iters"} <= keys
    assert sorted(k for k in keys if not is_config_key(k)) == []


def test_every_named_config_file_exists():
    paths = set(re.findall(r"configs/[\w/.-]+\.yaml", guide_text()))
    assert "configs/segmentation/unet_shapes.yaml" in paths
    assert sorted(p for p in paths if not (REPO / p).is_file()) == []


def test_the_guide_has_one_python_block():
    [block] = python_blocks()
    assert "detseg.load(" in block


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_python_block_runs_as_written(tmp_path, monkeypatch):
    write_checkpoint(
        tmp_path / "runs" / "my_unet" / "best.pt",
        "configs/segmentation/unet_shapes.yaml",
        ["device=cpu"],
    )
    images = tmp_path / "datasets" / "shapes" / "val" / "images"
    images.mkdir(parents=True)
    pixels = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(images / "000000.png")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(python_blocks()[0], namespace)
    result = namespace["result"]
    assert tuple(result.mask.shape) == (48, 64)
    assert tuple(result.probabilities.shape) == (6, 48, 64)
    picture = namespace["picture"]
    assert picture.dtype == np.uint8 and picture.shape[0] == 48 and picture.shape[2] == 3
    assert picture.shape[1] >= 64  # the legend panel widens it
    assert isinstance(namespace["records"], list)
    saved = np.array(Image.open(tmp_path / "labels.png"))
    assert (saved == result.mask.numpy()).all()

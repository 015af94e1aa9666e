"""Config loading: schema validation, _base_ merge, typed --set overrides."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
import yaml
from tool_wording import as_tool

from detseg.config import Config, ConfigError, config_from_dict, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)
config_from_dict = as_tool(config_from_dict)

REPO = Path(__file__).resolve().parents[2]


_REAL_MODEL_TESTS = {
    "test_every_config_file_loads",
    "test_base_files_have_valid_keys",
    "test_flat_segmentation_keys_name_their_section",
}


def _toy_builder(
    num_classes: int, min_size: int = 800, backbone: str | None = "r18", rpn: dict | None = None
):
    raise AssertionError("config loading must not build the model")


@pytest.fixture(autouse=True)
def toy_models(request, monkeypatch):
    """Replace detseg.models by a one-entry MODELS dict, except in the real-config tests."""
    if request.function.__name__ in _REAL_MODEL_TESTS:
        return
    fake = types.ModuleType("detseg.models")
    fake.MODELS = {"toy": _toy_builder}
    monkeypatch.setitem(sys.modules, "detseg.models", fake)


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def test_defaults_and_types(tmp_path):
    data = {"model": {"name": "toy"}, "train": {"lr": "1e-3", "epochs": 3}}
    cfg = load_config(_write(tmp_path / "a.yaml", data))
    assert isinstance(cfg, Config)
    # YAML 1.1 reads "1e-3" as a string; a float field converts it.
    assert cfg.train.lr == pytest.approx(0.001) and isinstance(cfg.train.lr, float)
    assert cfg.train.epochs == 3
    assert cfg.train.max_iters is None and cfg.device == "auto"


def test_unknown_key_names_file_key_and_closest(tmp_path):
    path = _write(tmp_path / "exp.yaml", {"train": {"lrr": 0.1}})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "'train.lrr'" in message
    assert "did you mean 'train.lr'" in message


def test_unknown_top_level_section(tmp_path):
    path = _write(tmp_path / "exp.yaml", {"trian": {"lr": 0.1}})
    with pytest.raises(ConfigError, match=r"unknown key 'trian'; did you mean 'train'"):
        load_config(path)


def test_wrong_types_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"'train.epochs' must be an int, got 'many'"):
        load_config(_write(tmp_path / "a.yaml", {"train": {"epochs": "many"}}))
    with pytest.raises(ConfigError, match=r"'train.optimizer' must be one of \['sgd', 'adamw'\]"):
        load_config(_write(tmp_path / "b.yaml", {"train": {"optimizer": "adam"}}))
    with pytest.raises(ConfigError, match=r"'train.milestones\[1\]' must be an int"):
        load_config(_write(tmp_path / "c.yaml", {"train": {"milestones": [1, "x"]}}))
    with pytest.raises(ConfigError, match=r"'train.amp' must be one of"):
        load_config(_write(tmp_path / "d.yaml", {"train": {"amp": True}}))


def test_base_merge_is_recursive(tmp_path):
    _write(
        tmp_path / "_base_" / "base.yaml",
        {
            "data": {"format": "coco", "root": "/data", "train_ann": "a.json"},
            "train": {"epochs": 5, "lr": 0.5, "milestones": [1, 2, 3]},
        },
    )
    child = _write(
        tmp_path / "exp" / "child.yaml",
        {
            "_base_": "../_base_/base.yaml",
            "model": {"name": "toy"},
            "train": {"lr": 0.1, "milestones": [4]},
        },
    )
    cfg = load_config(child)
    assert cfg.train.epochs == 5  # from the base
    assert cfg.train.lr == 0.1  # child wins
    assert cfg.train.milestones == [4]  # lists are replaced, not concatenated
    assert cfg.data.root == "/data" and cfg.data.options == {"train_ann": "a.json"}


def test_nested_base_merges_every_level(tmp_path):
    _write(tmp_path / "root.yaml", {"train": {"epochs": 1, "lr": 0.5}, "seed": 3})
    _write(tmp_path / "mid.yaml", {"_base_": "root.yaml", "train": {"epochs": 2}})
    child = _write(tmp_path / "child.yaml", {"_base_": "mid.yaml", "model": {"name": "toy"}})
    cfg = load_config(child)
    assert (cfg.train.epochs, cfg.train.lr, cfg.seed) == (2, 0.5, 3)


def test_unknown_key_in_base_names_the_base_file(tmp_path):
    base = _write(tmp_path / "base.yaml", {"eval": {"score_thresh": 0.5}})
    child = _write(tmp_path / "child.yaml", {"_base_": "base.yaml"})
    with pytest.raises(ConfigError) as info:
        load_config(child)
    assert str(base) in str(info.value)
    assert "did you mean 'eval.score_threshold'" in str(info.value)


def test_missing_base_file(tmp_path):
    child = _write(tmp_path / "child.yaml", {"_base_": "nope.yaml"})
    with pytest.raises(ConfigError, match=r"child.yaml: _base_ 'nope.yaml' not found .*nope.yaml"):
        load_config(child)


def test_set_overrides_are_typed(tmp_path):
    path = _write(
        tmp_path / "a.yaml",
        {"model": {"name": "toy"}, "train": {"max_iters": 10, "grad_clip": 5.0}},
    )
    cfg = load_config(
        path,
        [
            "train.epochs=7",
            "train.lr=1e-2",
            "train.max_iters=null",
            "train.grad_clip=None",
            "train.milestones=[3, 5]",
            "device=cpu",
            "data.root=001",  # str field: the raw text, not the YAML int 1
            "eval.max_images=4",
        ],
    )
    assert cfg.train.epochs == 7
    assert cfg.train.lr == pytest.approx(0.01)
    assert cfg.train.max_iters is None and cfg.train.grad_clip is None
    assert cfg.train.milestones == [3, 5]
    assert cfg.device == "cpu" and cfg.data.root == "001"
    assert cfg.eval.max_images == 4


def test_set_bool_and_open_sections(tmp_path):
    model = {"name": "toy", "rpn": {"nms_thresh": 0.7, "batch_size_per_image": 256}}
    raw = load_config(_write(tmp_path / "a.yaml", {"model": model})).to_dict()
    cfg = config_from_dict(
        raw,
        overrides=[
            "data.val_ann=x.json",
            "data.load_masks=true",
            "model.rpn.nms_thresh=0.5",  # nested builder kwarg: merged into the dict
            "model.backbone=null",
        ],
    )
    assert cfg.data.options == {"val_ann": "x.json", "load_masks": True}
    assert cfg.model.kwargs == {
        "rpn": {"nms_thresh": 0.5, "batch_size_per_image": 256},
        "backbone": None,
    }


def test_set_errors(tmp_path):
    path = _write(tmp_path / "a.yaml", {})
    with pytest.raises(ConfigError, match=r"--set train.epoch=3: unknown key 'train.epoch'; "):
        load_config(path, ["train.epoch=3"])
    with pytest.raises(ConfigError, match=r"did you mean 'train.epochs'"):
        load_config(path, ["train.epoch=3"])
    with pytest.raises(ConfigError, match=r"expected KEY=VALUE"):
        load_config(path, ["train.epochs"])
    with pytest.raises(ConfigError, match=r"'train' is a section"):
        load_config(path, ["train=3"])
    with pytest.raises(ConfigError, match=r"'train.epochs' has no sub-keys"):
        load_config(path, ["train.epochs.x=3"])
    with pytest.raises(ConfigError, match=r"'train.epochs' must be an int, got 2.5"):
        load_config(path, ["train.epochs=2.5"])


def test_to_dict_round_trip(tmp_path):
    path = _write(
        tmp_path / "a.yaml",
        {
            "model": {"name": "toy", "min_size": 128},
            "data": {"root": "r", "augmentations": [{"name": "HorizontalFlip", "p": 0.5}]},
        },
    )
    cfg = load_config(path, ["train.lr=0.5"])
    flat = cfg.to_dict()
    assert flat["model"] == {"name": "toy", "min_size": 128}
    assert flat["data"]["augmentations"] == [{"name": "HorizontalFlip", "p": 0.5}]
    assert cfg.data.dataset_kwargs() == {"format": "coco", "root": "r"}
    again = config_from_dict(yaml.safe_load(yaml.safe_dump(flat)))
    assert again == cfg


def test_num_classes_is_not_a_model_key(tmp_path):
    path = _write(tmp_path / "a.yaml", {"model": {"name": "toy", "num_classes": 3}})
    with pytest.raises(ConfigError, match=r"derived from the dataset"):
        load_config(path)


def test_model_kwargs_are_checked_against_the_builder(tmp_path):
    path = _write(tmp_path / "a.yaml", {"model": {"name": "toy", "min_sise": 1}})
    with pytest.raises(
        ConfigError, match=r"unknown key 'model.min_sise'; did you mean 'model.min_size'"
    ):
        load_config(path)
    with pytest.raises(ConfigError, match=r"unknown model.name 'tyo'; did you mean 'toy'"):
        load_config(_write(tmp_path / "b.yaml", {"model": {"name": "tyo"}}))
    with pytest.raises(ConfigError, match=r"'model.name' is required"):
        load_config(_write(tmp_path / "c.yaml", {"train": {"epochs": 1}}))
    cfg = load_config(tmp_path / "b.yaml", ["model.name=toy", "model.min_size=64"])
    assert cfg.model.kwargs == {"min_size": 64}


# Experiment configs: configs/_base_/ holds config parts, configs/datasets/ data files.
CONFIG_FILES = sorted(
    p
    for p in (REPO / "configs").rglob("*.yaml")
    if "_base_" not in p.parts and "datasets" not in p.parts
)


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_config_file_loads(path):
    cfg = load_config(path)
    assert cfg.model.name, f"{path} names no model"


@pytest.mark.parametrize(
    "path", sorted((REPO / "configs" / "_base_").glob("*.yaml")), ids=lambda p: p.name
)
def test_base_files_have_valid_keys(path, tmp_path):
    model = load_config(REPO / "configs" / "demo.yaml").to_dict()["model"]
    cfg = load_config(_write(tmp_path / "exp.yaml", {"_base_": str(path), "model": model}))
    # and every value the base file sets reaches the config
    loaded, own = _leaves(cfg.to_dict()), _leaves(yaml.safe_load(path.read_text()))
    assert own and {key: loaded.get(key, "<missing>") for key in own} == own


def _leaves(tree: dict, prefix: str = "") -> dict:
    """``{"a.b": value}`` of the non-mapping values of a nested dict (empty mappings too)."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_segmentation_inference_keys(tmp_path):
    """eval.tta_scales and the eval.crf sub-section: typed, checked, round-tripped."""
    path = _write(tmp_path / "a.yaml", {"model": {"name": "toy"}, "eval": {"crf": {"radius": 3}}})
    cfg = load_config(path, ["eval.tta_scales=[1.0, 1.25]", "eval.crf.iterations=5"])
    assert cfg.eval.tta_scales == [1.0, 1.25] and cfg.eval.crf.iterations == 5
    assert cfg.eval.crf.radius == 3 and cfg.eval.crf.color_sigma == 20.0
    assert config_from_dict(yaml.safe_load(yaml.safe_dump(cfg.to_dict()))) == cfg
    assert load_config(path).eval.crf.iterations == 0  # off unless asked for
    # "none" is one of eval.tta's choices, not YAML's null
    assert load_config(path, ["eval.tta=dihedral", "eval.tta=none"]).eval.tta == "none"
    typo = r"unknown key 'eval.crf.iteration'; did you mean 'eval.crf.iterations'"
    with pytest.raises(ConfigError, match=typo):
        load_config(path, ["eval.crf.iteration=5"])
    with pytest.raises(ConfigError, match=r"eval.tta_scales must be .* factors in \[0.25, 4\]"):
        load_config(path, ["eval.tta_scales=[1.0, 0]"])
    with pytest.raises(ConfigError, match="eval.crf.radius >= 1"):
        load_config(path, ["eval.crf.radius=0"])
    with pytest.raises(ConfigError, match="eval.crf.color_sigma must be > 0"):
        load_config(path, ["eval.crf.color_sigma=0"])


def test_crf_config_defaults_are_the_crf_defaults():
    """eval.crf's keys and defaults (iterations aside: 0 = off) are LocalCRF's."""
    import dataclasses

    from detseg.config.schema import CRFConfig
    from detseg.segmentation.crf import LocalCRF

    config = {f.name: f.default for f in dataclasses.fields(CRFConfig)}
    crf = {f.name: f.default for f in dataclasses.fields(LocalCRF)}
    assert config.keys() == crf.keys()
    assert {**config, "iterations": None} == {**crf, "iterations": None}


@pytest.mark.parametrize(
    ("flat", "moved"),
    [
        ({"dice_weight": 2.0}, "model.dice_weight moved: set model.loss.dice_weight"),
        ({"aux_loss_weight": 0.5}, "model.aux_loss_weight moved: set model.loss.aux_weight"),
        ({"loss_size": "logits"}, "model.loss_size moved: set model.loss.size"),
        ({"input_scale": 0.5}, "model.input_scale moved: set model.input.scale"),
        ({"image_std": [1, 1, 1]}, "model.image_std moved: set model.input.image_std"),
        ({"loss": "ce+dice"}, "model.loss moved: set model.loss.kind"),
    ],
)
def test_flat_segmentation_keys_name_their_section(tmp_path, flat, moved):
    path = _write(tmp_path / "a.yaml", {"model": {"name": "unet", **flat}})
    with pytest.raises(ConfigError, match=re.escape(f"{path}: {moved}")):
        load_config(path)
    with pytest.raises(ConfigError, match=f"<checkpoint>: {moved}$"):
        config_from_dict({"model": {"name": "unet", **flat}}, source="<checkpoint>")
    # the sections themselves load, from a file and from --set overrides
    sections = {"name": "unet", "loss": {"kind": "ce+dice"}, "input": {"scale": 0.5}}
    cfg = load_config(_write(tmp_path / "b.yaml", {"model": sections}), ["model.loss.size=logits"])
    assert cfg.model.kwargs == {
        "loss": {"kind": "ce+dice", "size": "logits"},
        "input": {"scale": 0.5},
    }

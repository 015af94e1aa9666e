"""_base_ composition: lists, any depth, cycles, missing bases, per-file key checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detseg.config import ConfigError, load_config
from detseg.config.bases import compose, deep_merge, merge_layers

MODEL = {"name": "faster_rcnn"}


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_list_of_bases_merges_in_order_then_the_file(tmp_path):
    _write(tmp_path / "models" / "x.yaml", {"model": MODEL, "train": {"lr": 0.1, "epochs": 3}})
    _write(tmp_path / "schedules" / "long.yaml", {"train": {"epochs": 30, "gamma": 0.5}})
    exp = _write(
        tmp_path / "exp" / "a.yaml",
        {"_base_": ["../models/x.yaml", "../schedules/long.yaml"], "train": {"gamma": 0.2}},
    )
    cfg = load_config(exp)
    assert cfg.model.name == "faster_rcnn"
    assert cfg.train.lr == 0.1  # first base
    assert cfg.train.epochs == 30  # the later base wins
    assert cfg.train.gamma == 0.2  # the file itself wins over both


def test_bases_of_bases_to_any_depth_relative_to_each_file(tmp_path):
    _write(tmp_path / "a" / "b" / "c" / "deep.yaml", {"seed": 7, "train": {"epochs": 1}})
    _write(tmp_path / "a" / "b" / "mid.yaml", {"_base_": "c/deep.yaml", "train": {"epochs": 2}})
    _write(tmp_path / "a" / "top.yaml", {"_base_": ["b/mid.yaml"], "train": {"lr": 0.3}})
    exp = _write(tmp_path / "exp.yaml", {"_base_": "a/top.yaml", "model": MODEL})
    cfg = load_config(exp)
    assert (cfg.seed, cfg.train.epochs, cfg.train.lr) == (7, 2, 0.3)


def test_a_shared_base_is_not_a_cycle(tmp_path):
    _write(tmp_path / "common.yaml", {"seed": 5})
    _write(tmp_path / "left.yaml", {"_base_": "common.yaml", "train": {"epochs": 4}})
    _write(tmp_path / "right.yaml", {"_base_": "common.yaml", "train": {"lr": 0.4}})
    exp = _write(tmp_path / "exp.yaml", {"_base_": ["left.yaml", "right.yaml"], "model": MODEL})
    cfg = load_config(exp)
    assert (cfg.seed, cfg.train.epochs, cfg.train.lr) == (5, 4, 0.4)


def test_a_cycle_shows_the_chain(tmp_path):
    _write(tmp_path / "a.yaml", {"_base_": "b.yaml", "model": MODEL})
    _write(tmp_path / "b.yaml", {"_base_": "a.yaml"})
    with pytest.raises(
        ConfigError, match=r"b\.yaml: '_base_' cycle: a\.yaml -> b\.yaml -> a\.yaml"
    ):
        load_config(tmp_path / "a.yaml")
    _write(tmp_path / "self.yaml", {"_base_": ["./self.yaml"]})
    with pytest.raises(ConfigError, match=r"cycle: self\.yaml -> self\.yaml"):
        load_config(tmp_path / "self.yaml")


def test_a_cycle_below_the_top_file_shows_only_the_loop(tmp_path):
    _write(tmp_path / "x" / "p.yaml", {"_base_": "q.yaml"})
    _write(tmp_path / "x" / "q.yaml", {"_base_": "p.yaml"})
    exp = _write(tmp_path / "exp.yaml", {"_base_": "x/p.yaml", "model": MODEL})
    with pytest.raises(ConfigError, match=r"cycle: p\.yaml -> q\.yaml -> p\.yaml;"):
        load_config(exp)


def test_a_missing_base_names_it_and_the_file_that_references_it(tmp_path):
    _write(tmp_path / "mid.yaml", {"_base_": ["../nowhere/gone.yaml"]})
    exp = _write(tmp_path / "exp.yaml", {"_base_": "mid.yaml", "model": MODEL})
    with pytest.raises(ConfigError) as info:
        load_config(exp)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'mid.yaml'}: _base_ '../nowhere/gone.yaml' not found")
    assert f"(looked for {tmp_path.parent / 'nowhere' / 'gone.yaml'})" in message


@pytest.mark.parametrize("value", [3, [""], ["a.yaml", 2], {"a": 1}])
def test_base_must_be_a_path_or_a_list_of_paths(tmp_path, value):
    exp = _write(tmp_path / "exp.yaml", {"_base_": value, "model": MODEL})
    with pytest.raises(ConfigError, match=r"exp.yaml: '_base_' must be a path or a list of paths"):
        load_config(exp)


def test_unknown_keys_are_checked_per_file(tmp_path):
    _write(tmp_path / "deep.yaml", {"train": {"epochz": 3}})
    _write(tmp_path / "mid.yaml", {"_base_": "deep.yaml"})
    exp = _write(tmp_path / "exp.yaml", {"_base_": ["mid.yaml"], "model": MODEL})
    with pytest.raises(ConfigError) as info:
        load_config(exp)
    assert str(info.value).startswith(f"{tmp_path / 'deep.yaml'}: unknown key 'train.epochz'")
    assert "did you mean 'train.epochs'" in str(info.value)


def test_compose_returns_the_merged_dict_without_base(tmp_path):
    _write(tmp_path / "b.yaml", {"train": {"milestones": [1, 2]}, "data": {"root": "r"}})
    exp = _write(tmp_path / "exp.yaml", {"_base_": "b.yaml", "train": {"milestones": [5]}})
    assert compose(exp) == {"train": {"milestones": [5]}, "data": {"root": "r"}}


def test_deep_merge_copies_and_does_not_modify_its_inputs():
    base = {"a": {"b": [{"c": 1}]}, "x": 1}
    child = {"a": {"d": 2}}
    out = deep_merge(base, child)
    assert out == {"a": {"b": [{"c": 1}], "d": 2}, "x": 1}
    out["a"]["b"][0]["c"] = 9
    assert base == {"a": {"b": [{"c": 1}]}, "x": 1} and child == {"a": {"d": 2}}


def test_merge_layers_switches_the_data_format():
    base = {"data": {"format": "coco", "root": "r", "val_ann": "v.json", "augmentations": [1]}}
    assert merge_layers(base, {"data": {"format": "voc"}}) == {
        "data": {"format": "voc", "augmentations": [1]}
    }
    same = merge_layers(base, {"data": {"format": "coco", "root": "s"}})
    assert same["data"] == {**base["data"], "root": "s"}
    # no format in the upper layer: a plain merge
    assert merge_layers(base, {"data": {"root": "s"}})["data"]["val_ann"] == "v.json"

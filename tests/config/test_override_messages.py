"""Messages of common command-line slips: an empty ``--set`` value, a ``--set model.name`` that
leaves the other model's keys behind, a data file given as the experiment config."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
SHAPES_DATA = REPO / "configs" / "datasets" / "shapes.yaml"

#: The keys of configs/demo.yaml's Faster R-CNN that RetinaNet does not take.
FASTER_RCNN_ONLY = ("fpn", "representation_size", "sampling_ratio", "rpn", "roi_heads")


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("train.epochs", "an int"),
        ("train.lr", "a float"),
        ("train.ema", "a bool"),
        ("train.optimizer", "one of 'sgd'"),
    ],
)
def test_an_empty_value_is_called_empty(key, kind):
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, [f"{key}="])
    message = str(info.value)
    assert message.startswith(f"--set {key}=: the value of '{key}' is empty; write {kind}")
    assert "None" not in message


@pytest.mark.parametrize("item", ["train.max_iters=", "work_dir=", "model.init_from="])
def test_an_empty_value_of_a_key_that_takes_null_is_null(item):
    cfg = load_config(DEMO, [item])
    assert (cfg.train.max_iters, cfg.work_dir, cfg.model.init_from) == (None, None, None)


def test_switching_the_model_says_so_and_how_to_drop_the_other_keys():
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, ["model.name=retinanet"])
    message = str(info.value)
    assert message.startswith(f"{DEMO}: unknown key 'model.fpn'")
    assert "--set model.name=retinanet switched the model from 'faster_rcnn' to 'retinanet'" in (
        message
    )
    # every key of the demo's Faster R-CNN that RetinaNet does not take, in one --set
    drops = " ".join(f"model.{key}=null" for key in sorted(FASTER_RCNN_ONLY))
    assert f"does not take with --set {drops}, or start from a config of retinanet" in message


ANCHORS_NULL = ["model.anchor_sizes=null", "model.aspect_ratios=null"]


def test_the_other_model_keys_set_to_null_are_dropped():
    drops = [f"model.{key}=null" for key in FASTER_RCNN_ONLY]
    # the demo's anchors (4 levels) do not fit RetinaNet's 5 (P3-P7): its defaults
    cfg = load_config(DEMO, ["model.name=retinanet", *ANCHORS_NULL, *drops])
    assert cfg.model.name == "retinanet"
    assert not set(FASTER_RCNN_ONLY) & set(cfg.model.kwargs)
    assert cfg.model.kwargs["min_size"] == 256  # a key both models take stays


def test_a_null_key_of_no_model_is_still_unknown_without_a_switch():
    with pytest.raises(ConfigError, match="unknown key 'model.fppn'"):
        load_config(DEMO, ["model.fppn=null"])


def test_a_data_file_as_the_config_suggests_data_flag():
    with pytest.raises(ConfigError) as info:
        load_config(SHAPES_DATA)
    message = str(info.value)
    assert "'model.name' is required" in message
    assert "--data datasets/shapes (" in message  # a packaged data file: by its name


def test_a_data_file_as_the_config_with_overrides_suggests_data_flag_too():
    with pytest.raises(ConfigError, match=r"--data datasets/shapes \("):
        load_config(SHAPES_DATA, ["train.epochs=1"])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("format: coco\nroot: datasets/shapes\n", "a data section"),
        ("path: x\ntrain: images/train\nval: images/val\nnames: [a]\n", "an Ultralytics data yaml"),
    ],
)
def test_other_data_files_as_the_config_suggest_data_flag(tmp_path, text, kind):
    path = tmp_path / "data.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: this is {kind}")
    assert f"--data {path}" in message


def test_a_typo_at_the_top_of_a_config_is_still_an_unknown_key(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text("trian: {epochs: 1}\n")
    with pytest.raises(ConfigError, match="unknown key 'trian'; did you mean 'train'"):
        load_config(path)

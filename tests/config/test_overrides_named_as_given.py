"""An error about an override names it as the caller gave it: ``overrides=['eval.backend=fast']``
from Python (``load_config``, ``config_from_dict``, ``detseg.load``, ``evaluate_checkpoint``),
``--set eval.backend=fast`` from a tool, whose user typed that flag and no keyword."""

from __future__ import annotations

from pathlib import Path

import pytest
from random_checkpoints import DETECTOR, write_checkpoint

import detseg
from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, config_from_dict, load_config
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
CHOICE = "'eval.backend' must be one of ['faster', 'pycocotools'], got 'fast'"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("overrides_named")
    return write_checkpoint(folder / "best.pt", "configs/demo.yaml", DETECTOR)


@pytest.mark.parametrize(
    ("item", "python", "tool"),
    [
        ("eval.backend=fast", f"overrides=['eval.backend=fast']: {CHOICE}", None),
        (
            "train.epochs=",
            "overrides=['train.epochs=']: the value of 'train.epochs' is empty; write an int",
            "--set train.epochs=: the value of 'train.epochs' is empty; write an int",
        ),
        (
            "eval",
            "overrides=['eval']: expected KEY=VALUE, e.g. train.lr=0.01",
            "--set eval: expected KEY=VALUE, e.g. train.lr=0.01",
        ),
        (
            "train.epoch=3",
            "overrides=['train.epoch=3']: unknown key 'train.epoch'; did you mean 'train.epochs'?",
            "--set train.epoch=3: unknown key 'train.epoch'; did you mean 'train.epochs'?",
        ),
    ],
)
def test_load_config_names_the_item_as_given(item, python, tool):
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, ["train.lr=0.01", item])
    assert str(caught.value).startswith(python), str(caught.value)
    assert "--set" not in str(caught.value)
    named = caught.value.naming(TOOL_FLAGS)
    assert named.startswith(tool or f"--set eval.backend=fast: {CHOICE}"), named


def test_config_from_dict_names_it_too():
    raw = load_config(DEMO).to_dict()
    with pytest.raises(ConfigError, match=r"^overrides=\['eval.backend=fast'\]: "):
        config_from_dict(raw, "exp.yaml", overrides=["eval.backend=fast"])


def test_a_mapping_names_its_key():
    with pytest.raises(ConfigError, match=r"^override 'eval.backend': 'eval.backend' must be"):
        load_config(DEMO, {"eval.backend": "fast"})


def test_an_item_named_again_in_the_message_is_named_alike(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"_base_: {DEMO}\ntrain: 5\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, ["train.max_iters=1"])
    assert "(so overrides=['train.max_iters=1'] cannot set a key in it)" in str(caught.value)
    tool = caught.value.naming(TOOL_FLAGS)
    assert "(so --set train.max_iters=1 cannot set a key in it)" in tool


def test_the_keys_to_drop_after_a_model_switch_are_named_as_overrides_too():
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, ["model.name=retinanet"])
    message = str(caught.value)
    assert "; overrides=['model.name=retinanet'] switched the model from 'faster_rcnn'" in message
    assert "does not take with 'model.fpn=null', 'model.representation_size=null'," in message
    assert message.endswith(
        "'model.sampling_ratio=null' added to overrides, or start from a config of retinanet"
    )
    assert "--set" not in message
    tool = caught.value.naming(TOOL_FLAGS)
    assert "; --set model.name=retinanet switched the model from 'faster_rcnn'" in tool
    assert "does not take with --set model.fpn=null model.representation_size=null " in tool


def test_the_item_to_write_instead_is_named_as_an_override_too():
    item = "model.rpn={nms_thresh: 0.6"
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, [item])
    assert str(caught.value).startswith(f"overrides=[{item!r}]: the value of 'model.rpn' is not")
    assert "; write it as 'model.rpn={nms_thresh: 0.6}' (quote" in str(caught.value)
    assert "--set" not in str(caught.value)
    tool = caught.value.naming(TOOL_FLAGS)
    assert tool.startswith(f"--set '{item}': the value of 'model.rpn' is not valid YAML")
    assert "; write it as --set 'model.rpn={nms_thresh: 0.6}' (quote" in tool


def test_detseg_load_and_evaluate_checkpoint_name_the_overrides(checkpoint, tmp_path):
    expected = f"overrides=['eval.backend=fast']: {CHOICE}"
    with pytest.raises(ConfigError) as caught:
        detseg.load(checkpoint, "cpu", overrides=["eval.backend=fast"])
    assert str(caught.value) == expected
    with pytest.raises(ConfigError) as caught:
        evaluate_checkpoint(checkpoint, tmp_path / "eval", overrides=["eval.backend=fast"])
    assert str(caught.value) == expected


@pytest.mark.parametrize("tool", ["eval.py", "infer.py"])
def test_the_tools_name_their_set_flag(checkpoint, tmp_path, run_tool, tool):
    inputs = [tmp_path / "x.png"] if tool == "infer.py" else []
    result = run_tool(tool, checkpoint, *inputs, "--set", "eval.backend=fast")
    assert result.returncode == 2, result.stderr
    name = tool.removesuffix(".py")
    assert result.stderr.splitlines()[-1] == f"{name}: error: --set eval.backend=fast: {CHOICE}"

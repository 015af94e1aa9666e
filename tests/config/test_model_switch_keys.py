"""A model key left from another model's config (after ``--set model.name=...``, or a file that
sets ``model.name`` over a ``_base_`` of another model) is named as that, with the keys of the
model in use, not given a "did you mean" of a key it is no typo of; set to null (on the command
line or in the file) it is dropped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
FCN = REPO / "configs" / "segmentation" / "fcn_shapes.yaml"
DEEPLAB = REPO / "configs" / "segmentation" / "deeplabv3_mobilenet_v3_shapes.yaml"

#: The keys of configs/demo.yaml's Faster R-CNN that RetinaNet does not take.
FASTER_RCNN_ONLY = ("fpn", "representation_size", "sampling_ratio", "rpn", "roi_heads")


def _message(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides or [])
    return str(info.value)


@pytest.mark.parametrize(
    ("config", "model", "key", "not_meant"),
    [
        (FCN, "ssd", "output_stride", "iou_thresh"),
        (DEEPLAB, "unet_backbone", "aux_loss", "loss"),
        (DEMO, "fcn_vgg16", "backbone", "backbone_weights"),
    ],
)
def test_a_key_of_the_other_model_gets_no_suggestion(config, model, key, not_meant):
    message = _message(config, [f"model.name={model}"])
    assert f"unknown key 'model.{key}'" in message
    assert "did you mean" not in message and f"'model.{not_meant}'" not in message
    assert f"model {model} does not take model.{key}, a key of other models (" in message
    assert f"(valid keys of {model}: " in message
    assert re.search(rf"--set (model\.\w+=null )*model\.{key}=null", message)  # one --set


def test_a_typo_of_the_model_in_use_is_still_suggested():
    message = _message(DEMO, ["model.min_sise=3"])
    assert "unknown key 'model.min_sise'; did you mean 'model.min_size'?" in message
    assert "(valid keys of faster_rcnn: " in message


def test_a_file_switching_the_model_over_its_base_says_so(tmp_path):
    top = tmp_path / "top.yaml"
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n")
    message = _message(top)
    assert message.startswith(f"{DEMO}: unknown key 'model.fpn'")
    assert f"{top} sets model.name to 'retinanet' over the faster_rcnn of {DEMO}" in message
    nulls = ", ".join(f"'{key}: null'" for key in sorted(FASTER_RCNN_ONLY))
    assert f"({nulls} under 'model:')" in message and "\n" not in message  # every key at once


def test_a_file_switch_leaves_out_nulled_keys_and_the_file_s_own_keys(tmp_path):
    top = tmp_path / "top.yaml"
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n  num_anchorz: 3\n")
    message = _message(top, ["model.fpn=null", "model.rpn=null"])
    nulls = "'representation_size: null', 'roi_heads: null', 'sampling_ratio: null'"
    assert f"({nulls} under 'model:')" in message


def test_keys_already_null_are_not_asked_again():
    message = _message(DEMO, ["model.name=retinanet", "model.fpn=null", "model.rpn=null"])
    assert "with --set model.representation_size=null model.roi_heads=null " in message
    assert "model.fpn=null model" not in message and "model.rpn=null model" not in message


def test_the_other_model_keys_set_to_null_in_the_file_are_dropped(tmp_path):
    top = tmp_path / "top.yaml"
    nulls = "".join(f"  {key}: null\n" for key in FASTER_RCNN_ONLY)
    # the demo's anchors (4 levels) do not fit RetinaNet's 5 (P3-P7): its defaults
    nulls += "  anchor_sizes: null\n  aspect_ratios: null\n"
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n{nulls}")
    cfg = load_config(top)
    assert cfg.model.name == "retinanet"
    assert not set(FASTER_RCNN_ONLY) & set(cfg.model.kwargs)
    assert cfg.model.kwargs["min_size"] == 256


def test_a_null_key_of_no_model_is_still_unknown(tmp_path):
    top = tmp_path / "top.yaml"
    top.write_text(f"_base_: {DEMO}\nmodel:\n  fppn: null\n")
    assert "unknown key 'model.fppn'" in _message(top)


def test_a_section_of_the_other_model_in_the_base_says_so_too(tmp_path):
    top = tmp_path / "top.yaml"
    nulls = "".join(f"  {key}: null\n" for key in ("fpn", "representation_size", "sampling_ratio"))
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n{nulls}")
    message = _message(top)
    assert message.startswith(f"{DEMO}: unknown key 'model.rpn'")
    assert f"{top} sets model.name to 'retinanet' over the faster_rcnn of {DEMO}" in message


@pytest.mark.parametrize(
    "restated",
    ["representation_size: 256", "fpn: true", "rpn:\n    batch_size_per_image: 64"],
)
def test_a_file_switch_names_the_old_model_keys_the_file_restates(tmp_path, restated):
    top = tmp_path / "top.yaml"
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n  {restated}\n  num_anchorz: 3\n")
    message = _message(top)
    assert f"{top} sets model.name to 'retinanet' over the faster_rcnn of {DEMO}" in message
    nulls = ", ".join(f"'{key}: null'" for key in sorted(FASTER_RCNN_ONLY))
    assert f"({nulls} under 'model:')" in message  # the restated key too, not the typo
    nulled = "".join(f"  {key}: null\n" for key in FASTER_RCNN_ONLY)
    top.write_text(f"_base_: {DEMO}\nmodel:\n  name: retinanet\n{nulled}  num_anchorz: 3\n")
    assert "unknown key 'model.num_anchorz'; did you mean" in _message(top)  # the next problem

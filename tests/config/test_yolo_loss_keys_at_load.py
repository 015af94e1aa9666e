"""YOLO's ``model.loss`` and ``model.input_size`` are checked when the config is loaded, with one
line naming the key path (``model.loss.box_weight``, ``model.input_size``), against the loss
settings of the config's YOLO version; not once the data has loaded and the model is built."""

from __future__ import annotations

import shlex

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

V1 = "configs/yolo/yolov1_shapes.yaml"
V3 = "configs/yolo/yolov3_shapes.yaml"


@pytest.mark.parametrize(
    ("path", "override", "message"),
    [
        (V3, "model.loss={box_weight: -1}", "model.loss.box_weight must be >= 0, got -1"),
        (V3, "model.loss={ignore_thresh: 2}", "model.loss.ignore_thresh must be in [0, 1]"),
        (V3, "model.loss={box_loss: iou}", "model.loss.box_loss='iou' is not one of"),
        (V3, "model.loss={box_weight: heavy}", "'model.loss.box_weight' must be"),
        (V3, "model.loss={lambda_coord: 5}", "unknown key 'model.loss.lambda_coord'"),
        (V1, "model.loss={lambda_noobj: -0.5}", "model.loss.lambda_noobj must be >= 0"),
        (V1, "model.loss={box_weight: 1}", "unknown key 'model.loss.box_weight'"),
        (V3, "model.input_size=-5", "'model.input_size' must be >= 1, got -5"),
        (V1, "model.input_size=0", "'model.input_size' must be >= 1, got 0"),
    ],
)
def test_bad_yolo_setting_refused_at_load_naming_its_key(path, override, message):
    with pytest.raises(ConfigError) as info:
        load_config(path, [override])
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"--set {shlex.quote(override)}: ")
    assert message in text


def test_version_loss_settings_load_checked():
    loss = load_config(V3, ["model.loss={box_weight: 2, assign_thresh: 0.25}"]).model.kwargs["loss"]
    assert loss["box_weight"] == 2.0 and isinstance(loss["box_weight"], float)
    assert loss["assign_thresh"] == 0.25
    v1 = load_config(V1, ["model.loss={lambda_coord: 3}", "model.input_size=224"]).model.kwargs
    assert v1["loss"]["lambda_coord"] == 3.0 and v1["input_size"] == 224
    assert load_config(V3, ["model.input_size=null"]).model.kwargs.get("input_size") is None

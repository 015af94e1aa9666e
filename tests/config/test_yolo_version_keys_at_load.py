"""A setting of the other YOLO version (``model.anchors`` or ``model.neck_channels`` on v1,
``model.grid_size`` or ``model.boxes_per_cell`` on v3) is refused when the config is loaded,
with one line naming the key, not once the data has loaded and the model is built."""

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
    ("path", "override", "key"),
    [
        (V1, "model.anchors=[[[10,13]]]", "model.anchors"),
        (V1, "model.neck_channels=64", "model.neck_channels"),
        (V1, "model.return_layers=[c4,c5]", "model.return_layers"),
        (V1, "model.grid_size=0", "model.grid_size"),
        (V3, "model.grid_size=7", "model.grid_size"),
        (V3, "model.boxes_per_cell=2", "model.boxes_per_cell"),
    ],
)
def test_other_version_setting_refused_at_load(path, override, key):
    with pytest.raises(ConfigError) as info:
        load_config(path, [override])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"--set {shlex.quote(override)}: '{key}'")


def test_own_settings_load():
    assert load_config(V1, ["model.neck_channels=null"]).model.kwargs["version"] == "v1"
    assert load_config(V3, ["model.neck_channels=64"]).model.kwargs["neck_channels"] == 64

"""An error at load names the ``--set`` item that set the wrong key, and the file otherwise:
a correct override is not blamed for a typo in the file that the hint suggests it for."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("section", "typo", "override"),
    [
        ("model:\n  name: faster_rcnn\n  min_sise: 3\n", "model.min_sise", "model.min_size=500"),
        (
            f"_base_: {DEMO}\nmodel:\n  rpn:\n    pre_nms_top_n_trian: 3\n",
            "model.rpn.pre_nms_top_n_trian",
            "model.rpn.pre_nms_top_n_train=5",
        ),
    ],
)
def test_a_typo_in_the_file_names_the_file_not_the_suggested_override(
    tmp_path, section, typo, override
):
    path = tmp_path / "c.yaml"
    path.write_text(section)
    with pytest.raises(ConfigError) as err:
        load_config(path, [override])
    message = str(err.value)
    assert message.startswith(f"{path}: unknown key '{typo}'; did you mean"), message
    assert "--set" not in message


def test_a_typo_in_an_override_names_the_override():
    with pytest.raises(ConfigError) as err:
        load_config(DEMO, ["model.min_sise=3"])
    assert str(err.value).startswith("--set model.min_sise=3: unknown key 'model.min_sise'")


def test_a_wrong_value_of_a_correct_key_names_the_override():
    with pytest.raises(ConfigError) as err:
        load_config(DEMO, ["model.rpn.nms_thresh=2"])
    assert str(err.value).startswith("--set model.rpn.nms_thresh=2: model.rpn.nms_thresh ")

"""A number key of the config is finite: ``train.lr=.inf`` passed the ``> 0`` check and
``train.weight_decay=.inf`` the ``>= 0`` one; every float (a schema field, a list item, a
builder argument or a field of its settings section) refuses ``.inf`` and NaN in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "inf", "nan"])
@pytest.mark.parametrize(
    "key",
    ["train.lr", "train.gamma", "train.weight_decay", "train.grad_clip", "train.momentum"],
)
def test_a_train_number_that_is_not_finite_is_refused(key, value):
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, [f"{key}={value}"])
    message = str(info.value)
    assert f"'{key}' must be a finite number" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "override",
    [
        {"eval.tta_scales": [1.0, float("inf")]},
        {"eval.crf.color_sigma": float("inf")},
        {"model.rpn": {"nms_thresh": float("nan")}},
        {"model.width_mult": float("inf")},
    ],
)
def test_other_numbers_that_are_not_finite_are_refused(override):
    with pytest.raises(ConfigError, match="must be a finite number"):
        load_config(DEMO, override)


def test_a_file_with_inf_names_the_file_and_key(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(f"_base_: {DEMO}\ntrain: {{lr: .inf}}\n")
    with pytest.raises(ConfigError, match=r"exp\.yaml: 'train\.lr' must be a finite number"):
        load_config(path)


def test_an_optional_number_of_a_wrong_type_still_says_null_is_allowed():
    with pytest.raises(ConfigError, match="'train.grad_clip' must be a float or null, got 'x'"):
        load_config(DEMO, {"train.grad_clip": "x"})

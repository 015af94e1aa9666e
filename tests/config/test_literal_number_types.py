"""A ``Literal`` of numbers takes its choices of their own type: ``2.0`` is no choice of
``Literal[1, 2]``, as an ``int`` field refuses a float."""

from __future__ import annotations

from typing import Literal

import pytest

from detseg.config import ConfigError
from detseg.config.checks import coerce

STRIDE = Literal[1, 2]


def test_a_float_is_no_choice_of_an_int_literal():
    with pytest.raises(
        ConfigError, match=r"^exp.yaml: 'model.x' must be one of \[1, 2\], got 2.0$"
    ):
        coerce(2.0, STRIDE, "exp.yaml", "model.x")
    with pytest.raises(ConfigError, match="must be an int, got 2.0"):
        coerce(2.0, int, "exp.yaml", "model.x")  # what an int field does with it


def test_the_choices_themselves_pass():
    assert coerce(2, STRIDE, "exp.yaml", "model.x") == 2
    assert coerce(None, STRIDE | None, "exp.yaml", "model.x") is None
    choice = Literal["auto", True, False]  # train.channels_last: bools and a word
    assert coerce(True, choice, "exp.yaml", "train.x") is True
    assert coerce("auto", choice, "exp.yaml", "train.x") == "auto"


def test_a_bool_is_no_choice_of_an_int_literal():
    with pytest.raises(ConfigError, match="YAML reads yes/no/on/off/true/false as a boolean"):
        coerce(True, STRIDE, "exp.yaml", "model.x")

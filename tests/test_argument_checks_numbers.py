"""A number given from Python the way a notebook holds it (a 0-d tensor, a 0-d numpy array, a
numpy scalar) is its Python number by one rule, ``argument_checks.plain_number``: the
thresholds of the library functions come back as plain ``float`` values, and more than one
number (or a bool, or text) is refused naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api import prediction_checks
from detseg.argument_checks import (
    check_at_least,
    check_score_threshold,
    check_unit_number,
    plain_number,
    whole_ids,
)

ZERO_D = [torch.tensor(0.25), torch.tensor(0.25, dtype=torch.float64), np.array(0.25)]
ZERO_D += [np.float32(0.25), np.float64(0.25)]


@pytest.mark.parametrize("value", ZERO_D, ids=["tensor", "tensor64", "array", "f32", "f64"])
def test_a_zero_d_number_is_a_plain_float(value):
    assert type(plain_number(value)) is float and plain_number(value) == 0.25
    assert type(check_score_threshold(value, "score_thresh")) is float
    assert type(check_unit_number(value, "iou_threshold")) is float


def test_integers_and_other_values():
    assert type(plain_number(np.int64(3))) is int and plain_number(torch.tensor(3)) == 3
    for value in (torch.tensor(True), np.bool_(True), np.array([0.5]), torch.tensor([0.5]), "0.5"):
        assert plain_number(value) is value
    assert plain_number(torch.tensor(1 + 2j)).dtype == torch.complex64
    assert check_score_threshold(None, "score_thr") is None
    assert whole_ids([torch.tensor(3), np.int32(7)]) == [3, 7]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (torch.tensor([0.5]), "score_threshold must be a number in [0, 1], got tensor([0.5000])"),
        (torch.tensor(1.5), "score_threshold must lie in [0, 1], got 1.5"),
        (np.bool_(True), "score_threshold must be a number in [0, 1], got np.True_ (bool)"),
        (None, "score_threshold must be a number in [0, 1], got None"),
    ],
)
def test_what_is_no_threshold_is_refused_naming_it(value, message):
    with pytest.raises(ValueError) as error:
        check_unit_number(value, "score_threshold")
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("value", [np.array([0.5]), torch.tensor([0.5])], ids=["array", "tensor"])
def test_an_array_of_numbers_is_told_to_give_one(value):
    with pytest.raises(ValueError) as error:
        check_score_threshold(value, "score_thr")
    assert str(error.value).endswith("; give one number (.item() of a one-number array or tensor)")


def test_the_prediction_checks_use_the_same_rule():
    assert prediction_checks.plain_number is plain_number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2.5, "worst_k must be an integer >= 0, got 2.5 (float)"),
        (-1, "worst_k must be >= 0, got -1"),
    ],
)
def test_a_count_from_zero(value, message):
    check_at_least(np.int64(0), "worst_k", 0)
    with pytest.raises(ValueError, match=f"^{message.replace('(', '.').replace(')', '.')}$"):
        check_at_least(value, "worst_k", 0)


def test_the_metrics_take_a_zero_d_threshold():
    from detseg.evaluation.voc import voc_evaluate

    truth = [{"boxes": np.array([[0.0, 0.0, 5.0, 5.0]]), "labels": np.array([1])}]
    found = [{**truth[0], "scores": np.array([0.9])}]
    for threshold in (torch.tensor(0.5), np.float32(0.5), np.array(0.5)):
        assert voc_evaluate(truth, found, iou_threshold=threshold)["mAP"] == 1.0

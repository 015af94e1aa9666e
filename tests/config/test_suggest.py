"""did_you_mean: the closest choice, or nothing when none is close."""

from __future__ import annotations

from detseg.config.suggest import did_you_mean


def test_names_the_closest_choice():
    assert did_you_mean("resnt50", ["resnet18", "resnet50", "vgg16"]) == (
        "; did you mean 'resnet50'?"
    )
    assert did_you_mean("lrr", {"lr": 0.1, "epochs": 3}) == "; did you mean 'lr'?"  # dict keys


def test_prefix_goes_before_the_suggestion_only():
    assert did_you_mean("lrr", ["lr", "epochs"], prefix="train.") == "; did you mean 'train.lr'?"


def test_nothing_close_gives_an_empty_hint():
    assert did_you_mean("xyz", ["resnet50", "vgg16"]) == ""
    assert did_you_mean("anything", []) == ""


def test_a_lower_cutoff_reaches_short_names():
    assert did_you_mean("prob", ["p", "always_apply"]) == ""
    assert did_you_mean("prob", ["p", "always_apply"], cutoff=0.3) == "; did you mean 'p'?"

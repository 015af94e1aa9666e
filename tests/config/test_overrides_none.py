"""``overrides=None`` (to :func:`~detseg.config.load_config`, and so to ``detseg.load``) is no
override, as ``()`` is; any other value that is no list of strings nor a mapping (``5``) gets
the one ``TypeError`` line that says what overrides are, not Python's ``not iterable``."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.config.overrides import override_items

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def test_none_is_no_override():
    assert override_items(None) == []
    assert load_config(DEMO, None) == load_config(DEMO, ())


def test_none_with_a_config_error_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"_base_: {DEMO}\ntrain:\n  epochs: two\n")
    with pytest.raises(ConfigError, match=r"epochs") as caught:
        load_config(bad, None)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("overrides", [5, 2.5, object()], ids=["int", "float", "object"])
def test_a_value_that_is_no_overrides_is_told_what_they_are(overrides):
    with pytest.raises(TypeError) as caught:
        load_config(DEMO, overrides)
    message = str(caught.value)
    assert message.startswith(
        "overrides must be a list of 'key=value' strings (['train.lr=0.01']) or a mapping of "
        "dotted keys to values ({'train.lr': 0.01}), got "
    )
    assert message.endswith(f"got {overrides!r}")


def test_a_generator_of_overrides_is_read_once_and_applied():
    config = load_config("demo", (item for item in ["train.epochs=3", "train.lr=0.5"]))
    assert (config.train.epochs, config.train.lr) == (3, 0.5)


def test_an_error_of_a_generator_item_names_it():
    with pytest.raises(ConfigError) as caught:
        load_config("demo", (item for item in ["train.epochs=two"]))
    assert str(caught.value).startswith("overrides=['train.epochs=two']: ")

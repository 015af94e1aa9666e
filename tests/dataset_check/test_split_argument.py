"""``check_dataset``'s ``splits`` is checked before any dataset is read: a string (read letter by
letter it named splits 'v', 'a', 'l'), no split, or an unknown name is one line naming
``splits`` (``--splits`` in ``tools/check_data.py``)."""

from __future__ import annotations

import pytest

from detseg.dataset_check import check_dataset
from detseg.named_settings import SettingError

DATA = {"format": "coco", "root": "/nowhere"}  # never read: the splits are refused first


@pytest.mark.parametrize(
    ("splits", "said"),
    [
        ("val", "splits='val': give a list of split names, e.g. ['val']"),
        ([], "splits=[]: no split to check; give train, val and/or test"),
        (
            ("train", "tset"),
            "splits=['train', 'tset']: unknown split 'tset'; give train, val and/or test",
        ),
    ],
)
def test_bad_splits_are_named(splits, said):
    with pytest.raises(SettingError) as caught:
        check_dataset(DATA, splits)
    assert str(caught.value) == said


def test_the_tool_form_names_its_flag():
    with pytest.raises(SettingError) as caught:
        check_dataset(DATA, ["bogus"])
    assert caught.value.naming({"splits": "--splits"}) == (
        "--splits bogus: unknown split 'bogus'; give train, val and/or test"
    )

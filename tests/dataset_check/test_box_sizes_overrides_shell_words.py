"""The ``--set`` items that ``tools/anchors.py`` names when it refuses overrides with a COCO
json are words of the user's shell: an item holding a space is quoted, so that the words pasted
back give the same items (``shlex.split``)."""

from __future__ import annotations

import json
import shlex

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.dataset_check.box_sizes import training_box_sizes
from detseg.named_settings import SettingError


def test_an_item_with_a_space_is_one_word(tmp_path):
    ann = tmp_path / "instances_train.json"
    ann.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    items = ["data.root=my data", "seed=1"]
    with pytest.raises(SettingError) as caught:
        training_box_sizes(ann, 64, overrides=items)
    assert str(caught.value).startswith(f"overrides={items!r}: {ann} is a COCO json")
    tool = caught.value.naming(TOOL_FLAGS)
    assert tool.startswith(f"--set 'data.root=my data' seed=1: {ann} is a COCO json")
    assert shlex.split(tool.partition(":")[0]) == ["--set", *items]

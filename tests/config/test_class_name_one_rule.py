"""One rule turns a listed class name into the name a reader takes
(``detseg.data.class_names.class_name``: stripped, a null entry empty): the load-time check of a
config's list (``detseg.config.class_list``), an Ultralytics ``names`` of a data file and the
dataset readers take the same names, and refuse the same lists."""

from __future__ import annotations

import pytest
import yaml

import detseg.config.class_list as class_list
from detseg.config import ConfigError, load_data_file
from detseg.data.class_names import class_name, read_class_names

LISTS = [[" cat ", "dog"], ["cat", 7], ["a b", "c\t"]]
REFUSED = [["cat", None], ["cat", " cat"], ["", "dog"]]


def test_the_config_check_has_no_copy_of_the_rule():
    assert not hasattr(class_list, "class_name")


@pytest.mark.parametrize("names", LISTS)
def test_the_data_file_and_the_readers_take_the_same_names(tmp_path, names):
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump({"train": "images/train", "val": "images/val", "names": names}))
    section = load_data_file(path)
    assert section["classes"] == read_class_names(names) == [class_name(n) for n in names]


@pytest.mark.parametrize("names", REFUSED)
def test_the_config_check_and_the_readers_refuse_the_same_lists(names):
    with pytest.raises(ConfigError):
        class_list.check_class_list(names, "config.yaml")
    with pytest.raises(ValueError):
        read_class_names(names)

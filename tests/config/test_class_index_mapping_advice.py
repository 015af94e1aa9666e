"""``classes: {0: circle}``, the ``names`` form of an Ultralytics data yaml copied into a detseg
data file, is refused with the list to write in its place: the names in index order. Any other
mapping (keys that are no 0..n-1, names that are no text) gets no such list."""

from __future__ import annotations

import pytest

from detseg.config import ConfigError, load_data_file
from detseg.config.class_list import check_class_list

REFUSED = "f.yaml: data.classes must be a list of class names ([cat, dog]) or a file of names"


def _message(value) -> str:
    with pytest.raises(ConfigError) as caught:
        check_class_list(value, "f.yaml")
    return str(caught.value)


def test_a_data_file_with_an_index_mapping_gets_the_list(tmp_path):
    data = tmp_path / "data.yaml"
    data.write_text("format: coco\nroot: shapes\nclasses: {0: circle}\n")
    with pytest.raises(ConfigError) as caught:
        load_data_file(data)
    assert str(caught.value) == (
        f"{data}: data.classes must be a list of class names ([cat, dog]) or a file of names "
        "(classes.txt, or a data yaml with 'names'), got {0: 'circle'}; write the names in "
        "index order: [circle]"
    )


def test_the_names_are_in_index_order_and_quoted_where_yaml_needs_it():
    message = _message({1: "square", 0: "circle", 2: "x: y", 3: "yes"})
    assert message.startswith(REFUSED)
    assert message.endswith("; write the names in index order: [circle, square, 'x: y', 'yes']")


def test_a_long_mapping_shows_the_first_names():
    message = _message({k: f"c{k}" for k in range(25)})
    assert message.endswith(
        "index order: [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, "
        "c12, c13, c14, c15, c16, c17, c18, c19, ...] (25 names)"
    )


@pytest.mark.parametrize(
    "value",
    [{1: "a"}, {"0": "a"}, {True: "a"}, {0: None}, {0: "a", 2: "b"}, {}],
    ids=["from_one", "text_keys", "bool_key", "null_name", "gap", "empty"],
)
def test_other_mappings_get_no_list(value):
    message = _message(value)
    assert message.startswith(REFUSED) and "index order" not in message

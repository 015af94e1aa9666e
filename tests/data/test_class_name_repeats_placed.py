"""A repeated class name is refused naming where each copy is (the lines of a classes.txt, the
positions of a list), names that differ only by surrounding spaces included; an empty entry of
a list is refused, not read as a class named "None"."""

from __future__ import annotations

import re

import pytest

from detseg.data import read_class_names


def test_repeats_in_a_classes_txt_name_their_lines(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("a\n b \nc\nb\n")
    message = f"{path}: class names must be unique, ['b'] appear more than once ('b': lines 2, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        read_class_names(path)


def test_repeats_in_a_list_name_their_positions():
    with pytest.raises(ValueError, match=re.escape("('a': class names 1, 3)")):
        read_class_names(["a", "b", " a"])


def test_an_empty_list_entry_is_refused():
    with pytest.raises(ValueError, match="data.classes: class name 2 is empty"):
        read_class_names(["a", None])

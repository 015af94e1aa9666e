"""Class-name files with gaps: in a classes.txt a blank line before a name is an error naming
the file and line (blank lines at the end are ignored); in a data yaml an empty entry of
``names`` is an error naming its position, not a class named "None"."""

from __future__ import annotations

import pytest

from detseg.data import read_class_names


def test_trailing_blank_lines_are_ignored(tmp_path):
    (tmp_path / "classes.txt").write_text("cat\r\ndog\r\n\r\n  \n")
    assert read_class_names(tmp_path / "classes.txt") == ["cat", "dog"]


@pytest.mark.parametrize(
    ("text", "line", "shifted"),
    [("cat\n\ndog\nbird\n", 2, 3), ("\ncat\ndog\n", 1, 2), ("cat\n \n\ndog\n", 2, 4)],
)
def test_a_blank_line_before_a_name_is_an_error(tmp_path, text, line, shifted):
    path = tmp_path / "classes.txt"
    path.write_text(text)
    with pytest.raises(
        ValueError,
        match=rf"classes.txt:{line}: blank line before the class "
        rf"name on line {shifted}",
    ):
        read_class_names(path)


@pytest.mark.parametrize(
    "text", ["names:\n  - cat\n  -\n  - dog\n", "names:\n  0: cat\n  1:\n  2: dog\n"]
)
def test_an_empty_yaml_name_is_an_error_not_a_class_named_none(tmp_path, text):
    path = tmp_path / "data.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match="data.yaml: class name 2 is empty"):
        read_class_names(path)

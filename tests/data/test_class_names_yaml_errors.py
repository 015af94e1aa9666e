"""A class-names yaml that does not parse (``--classes`` of ``tools/convert_dataset.py`` and
``convert_torchvision.py``, ``data.classes``) is one line naming the file, the line and column
and the problem, not PyYAML's several-line text (``in "<unicode string>", line 1, column 11``
and a caret under a copy of the line), which the error line of a tool ran together."""

from __future__ import annotations

import pytest
from tool_in_process import run_tool_here

from detseg.data.class_names import read_class_names


def test_the_message_names_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("names: [a, b\n")
    with pytest.raises(ValueError) as caught:
        read_class_names(path)
    assert str(caught.value) == (
        f"{path} is not valid YAML (line 2, column 1: expected ',' or ']', but got "
        "'<stream end>'): give a list of names, a classes.txt (one name per line) or a data "
        "yaml with 'names'"
    )
    assert "\n" not in str(caught.value) and "<unicode string>" not in str(caught.value)


def test_convert_dataset_prints_one_line(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("names: [a, b\n")
    (tmp_path / "src").mkdir()
    code = run_tool_here(
        "convert_dataset.py", "--from", "coco", "--to", "yolo", tmp_path / "src",
        tmp_path / "dst", "--classes", tmp_path / "bad.yaml",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"convert_dataset: error: {tmp_path / 'bad.yaml'} is not valid YAML (line 2, column 1: "
        "expected ',' or ']', but got '<stream end>'): give a list of names, a classes.txt (one "
        "name per line) or a data yaml with 'names'"
    ]
    assert not (tmp_path / "dst").exists()

"""A config or data file that is not YAML text, or has a YAML syntax error: one line naming
the file (and the line and column), from the loader and from a tool."""

from __future__ import annotations

import re

import pytest

from detseg.command_line import USER_ERROR_EXIT_CODE, run_command
from detseg.config import ConfigError, load_config, load_data_file

PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_an_image_given_as_the_config_is_not_a_yaml_text_file(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_START)
    expected = f"{path}: not a YAML text file (byte 0x89 at offset 0 is not UTF-8); give a config"
    with pytest.raises(ConfigError, match="^" + re.escape(expected)):
        load_config(path)
    with pytest.raises(ConfigError, match=re.escape(f"{path}: not a YAML text file")):
        load_data_file(path)


def test_binary_content_that_decodes_is_not_a_yaml_text_file(tmp_path):
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"a: 1\n\x00\x01\x02")
    with pytest.raises(ConfigError, match=r"blob.yaml: not a YAML text file \(control character"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("model:\n  name: x\n train: 3\n", "line 3, column 2", "expected <block end>"),
        ("a: b: c\n", "line 1, column 5", "mapping values are not allowed here"),
        ("a: [1, 2\nb: 3\n", "line 2, column 2", "expected ',' or ']'"),
    ],
)
def test_a_yaml_syntax_error_names_the_file_line_and_column(tmp_path, text, where, problem):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    with pytest.raises(
        ConfigError, match="^" + re.escape(f"{path}, {where}: invalid YAML: ")
    ) as info:
        load_config(path)
    assert problem in str(info.value)


def test_a_tool_prints_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_START)

    def main() -> int:
        load_config(path)
        return 0

    with pytest.raises(SystemExit) as info:
        run_command(main, "train")
    assert info.value.code == USER_ERROR_EXIT_CODE
    err = capsys.readouterr().err
    why = "not a YAML text file (byte 0x89 at offset 0 is not UTF-8)"
    assert err == f"train: error: {path}: {why}; give a config file in YAML\n"


def test_a_folder_given_as_the_config_or_data_file_says_it_is_a_folder(tmp_path):
    (tmp_path / "configs").mkdir()
    with pytest.raises(ConfigError, match="configs is a folder, not a config file; give the YAML"):
        load_config(tmp_path / "configs")
    with pytest.raises(ConfigError, match="configs is a folder, not a data file"):
        load_data_file(tmp_path / "configs")

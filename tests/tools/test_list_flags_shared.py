"""The tools' list flags (``--set``, ``--classes``, ``--verify-images``, ``--input-size``) are
read by one scanner, ``detseg_tools.list_flags``, as argparse reads them: a flag written as its
unique abbreviation (``--se``, ``--cl``) takes the words after it too, so a first argument it
took is named in every tool's error line, not only in the one whose scanner knew
abbreviations."""

from __future__ import annotations

import pytest
from tool_modules import load_tool

from detseg_tools.command_names import tool_name
from detseg_tools.list_flags import ListFlagArgumentParser, TakenWord


def _error(capsys, script: str, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        load_tool(script).parse_args(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_every_tool_parser_with_a_list_flag_shares_the_scanner():
    parsers = [
        load_tool("config_flags.py").SetFlagArgumentParser,
        load_tool("export.py").ExportArgumentParser,
        load_tool("infer.py")._InferArgumentParser,
    ]
    assert all(issubclass(parser, ListFlagArgumentParser) for parser in parsers)


def test_an_abbreviated_set_flag_names_the_config_it_took(capsys):
    error = _error(capsys, "check_data.py", ["--se", "data.root=datasets/shapes", "demo"])
    assert error.endswith(
        "'demo' was read as a --set item (--set takes every word up to the next flag); put "
        "CONFIG_OR_DATA_YAML before --set: python tools/check_data.py CONFIG_OR_DATA_YAML --set "
        "KEY=VALUE ..."
    )


def test_an_abbreviated_classes_flag_names_the_input_it_took(capsys):
    error = _error(capsys, "infer.py", ["best.pt", "--cl", "circle", "photos/"])
    assert "'photos/' was read as a --classes item" in error


def test_words_after_a_flag_with_its_value_or_after_two_dashes_are_positional():
    parser = ListFlagArgumentParser(
        ["--set=a=1", "x", "--set", "b=2", "-1", "--out", "o", "--", "y"],
        name=tool_name("train"),
    )
    parser.add_argument("--set", nargs="+")
    parser.add_argument("--out")
    assert parser.taken_words() == [
        TakenWord("x", None),
        TakenWord("b=2", "--set"),
        TakenWord("-1", "--set"),
        TakenWord("o", "--out"),
        TakenWord("y", None),
    ]


@pytest.mark.parametrize("word", ["-inf", "-1e3"])
def test_a_word_argparse_reads_as_a_flag_takes_no_value(word):
    """argparse's own rule: ``-1`` and ``-.5`` are values, ``-inf`` and ``-1e3`` flags."""
    parser = ListFlagArgumentParser(["--seed", word, "cfg.yaml"], name=tool_name("train"))
    parser.add_argument("--seed", type=float)
    assert parser.taken_words() == [TakenWord("cfg.yaml", None)]
    parser = ListFlagArgumentParser(["--seed", "-.5", "cfg.yaml"], name=tool_name("train"))
    parser.add_argument("--seed", type=float)
    assert parser.taken_words() == [TakenWord("-.5", "--seed"), TakenWord("cfg.yaml", None)]

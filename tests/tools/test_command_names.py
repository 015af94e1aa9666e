"""Every tool names itself as it was started: ``detseg-<name>`` as the installed command,
``python tools/<name>.py`` (and ``<name>: error:``) as a script, in its usage line, its
examples and its error lines (``tools/command_names.py``).

The tools run in process through their ``cli()`` with ``sys.argv[0]`` set as the console
script or as Python set it; ``tests/test_install.py`` runs the installed commands themselves.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg_tools.command_names import COMMANDS, STARTED_AS_ENV, ToolName, tool_name

REPO = Path(__file__).resolve().parents[2]

TOOLS = sorted(COMMANDS)


def _started_as(monkeypatch, argv0: str, *args: str) -> None:
    monkeypatch.delenv(STARTED_AS_ENV, raising=False)
    monkeypatch.setattr(sys, "argv", [argv0, *args])


def _run_cli(tool: str, capsys, main=None) -> tuple[int, str, str]:
    """``tools/<tool>.py``'s ``cli()`` on the patched ``sys.argv`` (with ``main`` in place of
    the tool's own if given): exit code, stdout, stderr."""
    module = load_tool(f"{tool}.py")
    if main is not None:
        module.main = main
    with pytest.raises(SystemExit) as stop:
        module.cli()
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def test_commands_are_the_installed_scripts():
    tomllib = pytest.importorskip("tomllib")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert {f"detseg_tools.{stem}:cli": name for stem, name in COMMANDS.items()} == {
        target: name for name, target in scripts.items()
    }


@pytest.mark.parametrize("tool", TOOLS)
def test_installed_command_names_itself(tool, monkeypatch, capsys):
    command = COMMANDS[tool]
    _started_as(monkeypatch, f"/venv/bin/{command}", "--no-such-flag")
    code, _, err = _run_cli(tool, capsys)
    assert code == 2
    assert err.startswith(f"usage: {command} "), err
    assert err.splitlines()[-1].startswith(f"{command}: error: "), err


@pytest.mark.parametrize("tool", TOOLS)
def test_script_names_itself(tool, monkeypatch, capsys):
    _started_as(monkeypatch, str(REPO / "tools" / f"{tool}.py"), "--no-such-flag")
    code, _, err = _run_cli(tool, capsys)
    assert code == 2
    assert err.startswith(f"usage: python tools/{tool}.py "), err
    assert err.splitlines()[-1].startswith(f"{tool}: error: "), err


def _user_error() -> int:
    raise ValueError("data.root 'x' is not a folder")


@pytest.mark.parametrize("tool", TOOLS)
def test_user_errors_name_the_tool_as_started(tool, monkeypatch, capsys):
    """``run_command``'s one line for a user error has the prefix of argparse's errors."""
    for argv0, prefix in ((COMMANDS[tool], COMMANDS[tool]), (f"tools/{tool}.py", tool)):
        _started_as(monkeypatch, argv0)
        code, _, err = _run_cli(tool, capsys, main=_user_error)
        assert (code, err) == (2, f"{prefix}: error: data.root 'x' is not a folder\n")


@pytest.mark.parametrize("tool", TOOLS)
def test_installed_help_shows_commands_not_scripts(tool, monkeypatch, capsys):
    """The examples of ``--help`` (``python tools/x.py ...``, ``tools/infer.py's``) are the
    installed commands; the script's help keeps them."""
    _started_as(monkeypatch, COMMANDS[tool], "--help")
    code, out, _ = _run_cli(tool, capsys)
    assert code == 0 and out.startswith(f"usage: {COMMANDS[tool]} ")
    assert not re.search(r"(?<![\w/.-])(?:tools/)?\w+\.py\b", out.replace("setup.py", "")), out
    # nor a file of the checkout that a pip user does not have: configs by their packaged name
    assert not re.search(r"(?<![\w.-])(configs|docs)/|README", out), out
    _started_as(monkeypatch, f"tools/{tool}.py", "--help")
    code, out, _ = _run_cli(tool, capsys)
    assert code == 0 and out.startswith(f"usage: python tools/{tool}.py ")


def test_examples_of_other_tools_are_their_commands(monkeypatch, capsys):
    _started_as(monkeypatch, "detseg-convert", "--help")
    _, out, _ = _run_cli("convert_dataset", capsys)
    assert "    detseg-convert --from coco --to yolo datasets/shapes datasets/shapes_yolo" in out
    assert "    detseg-train demo --data datasets/shapes_yolo/data.yaml" in out  # packaged name
    assert "for `detseg-train --data`" in out
    assert "configs/" not in out and "README" not in out
    _started_as(monkeypatch, "tools/convert_dataset.py", "--help")
    _, out, _ = _run_cli("convert_dataset", capsys)
    assert (
        "    python tools/train.py configs/demo.yaml --data datasets/shapes_yolo/data.yaml" in out
    )


@pytest.mark.parametrize(
    ("argv0", "prefix", "command"),
    [
        ("detseg-infer", "detseg-infer", "detseg-infer"),
        ("tools/infer.py", "infer", "python tools/infer.py"),
    ],
)
def test_error_lines_of_the_tool_use_the_same_name(argv0, prefix, command, monkeypatch, capsys):
    """A user error caught by ``run_command`` (an image where the checkpoint goes) and an
    argparse error of the tool's own parser name the tool alike."""
    _started_as(monkeypatch, argv0, "a.png", "b.png")
    code, _, err = _run_cli("infer", capsys)
    assert code == 2
    train = "detseg-train" if argv0.startswith("detseg") else "train.py"
    assert err == (
        f"{prefix}: error: the first argument must be a checkpoint (.pt), but a.png is an "
        f"image; give a best.pt / last.pt written by {train} first, then the inputs: "
        f"{command} runs/demo/best.pt IMAGE ...\n"
    )
    _started_as(monkeypatch, argv0, "best.pt", "--classes", "circle", "photos/")
    code, _, err = _run_cli("infer", capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        f"{prefix}: error: 'photos/' was read as a --classes item (--classes takes every word "
        "up to the next flag); put the checkpoint and the inputs before it: "
        f"{command} CHECKPOINT INPUT ... --classes ..."
    )


def test_benchmark_sub_commands_are_named_as_started(monkeypatch, capsys):
    _started_as(monkeypatch, "detseg-benchmark", "suite", "--repeats", "0")
    _, _, err = _run_cli("benchmark", capsys)
    assert err.startswith("usage: detseg-benchmark suite ")
    assert (
        err.splitlines()[-1] == "detseg-benchmark: error: argument --repeats: must be >= 1, got 0"
    )
    _started_as(monkeypatch, "detseg-benchmark", "suite", "--help")
    _, out, _ = _run_cli("benchmark", capsys)
    assert "'detseg-benchmark model ARCH --device DEVICE'" in out


def test_workers_of_the_installed_command_keep_its_name(monkeypatch):
    """``detseg-train --nproc 2`` starts ``detseg_tools/train.py``: the launcher names the
    command in the workers' environment."""
    monkeypatch.setattr(sys, "argv", ["/venv/lib/detseg_tools/train.py"])
    monkeypatch.setenv(STARTED_AS_ENV, "detseg-train")
    assert tool_name("train") == ToolName("detseg-train", "detseg-train", installed=True)
    monkeypatch.delenv(STARTED_AS_ENV)
    assert tool_name("train") == ToolName("python tools/train.py", "train", installed=False)


@pytest.mark.parametrize("argv0", ["pytest", "python", "-c", "detseg-eval", "detseg-train.py"])
def test_other_programs_are_no_installed_command(argv0, monkeypatch):
    _started_as(monkeypatch, argv0)
    assert not tool_name("train").installed


def test_windows_console_script(monkeypatch):
    _started_as(monkeypatch, "detseg-train.EXE")
    assert tool_name("train").command == "detseg-train"


def test_examples_leave_other_files_alone():
    name = ToolName("detseg-train", "detseg-train", installed=True)
    text = (
        "python tools/train.py X; tools/infer.py's output; eval.py and make_shapes.py; "
        "detseg/engine/training/train.py, setup.py, tools/gpu_checks.sh, my_train.py"
    )
    assert name.examples(text) == (
        "detseg-train X; detseg-infer's output; detseg-eval and detseg-make-shapes; "
        "detseg/engine/training/train.py, setup.py, tools/gpu_checks.sh, my_train.py"
    )


def test_help_text_writes_configs_by_their_packaged_names():
    """An installed command's help names a config as CONFIG takes it from any folder; a
    pattern, a configs/ folder elsewhere, the script's help and error lines keep their paths."""
    installed = ToolName("detseg-train", "detseg-train", installed=True)
    text = (
        "tools/train.py configs/demo.yaml --data configs/datasets/voc.yaml; "
        "configs/datasets/*.yaml, my/configs/x.yaml, ~/configs/y.yaml"
    )
    assert installed.help_text(text) == (
        "detseg-train demo --data datasets/voc; "
        "configs/datasets/*.yaml, my/configs/x.yaml, ~/configs/y.yaml"
    )
    assert installed.examples(text).startswith("detseg-train configs/demo.yaml --data ")
    script = ToolName("python tools/train.py", "train", installed=False)
    assert script.help_text(text) == text

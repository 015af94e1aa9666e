"""``--classes`` and ``--set`` take every word up to the next flag, so inputs written after them
(``infer.py best.pt --classes circle photos/``) are read as their items: the error names the
word taken and says to put the inputs first, instead of argparse's bare "the following
arguments are required: inputs"."""

from __future__ import annotations

import pytest

from tools import infer


@pytest.mark.parametrize(
    ("argv", "taken", "flag"),
    [
        (["best.pt", "--classes", "circle", "photos/"], "photos/", "--classes"),
        (["best.pt", "--classes", "circle", "clip.mp4"], "clip.mp4", "--classes"),
        (["best.pt", "--set", "device=cpu", "a.jpg"], "a.jpg", "--set"),
        (["--classes", "circle", "best.pt", "photos/"], "best.pt", "--classes"),
    ],
)
def test_an_input_read_as_a_list_item_is_named(argv, taken, flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        infer.parse_args(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{taken!r} was read as a {flag} item" in error
    assert "put the checkpoint and the inputs before" in error


def test_class_names_and_labels_alone_keep_argparse_s_message(capsys):
    with pytest.raises(SystemExit):
        infer.parse_args(["best.pt", "--classes", "circle", "2"])
    assert capsys.readouterr().err.strip().endswith("the following arguments are required: inputs")


def test_inputs_before_the_lists_are_read_as_inputs():
    args = infer.parse_args(["best.pt", "photos/", "--classes", "circle", "--set", "device=cpu"])
    assert args.inputs == ["photos/"] and args.classes == ["circle"] and args.set == ["device=cpu"]

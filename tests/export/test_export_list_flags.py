"""``--verify-images`` and ``--input-size`` take every word up to the next flag: a checkpoint
written after them is one of their words. The tool says so in one line, with the order that
works, instead of argparse's "the checkpoint is missing" or "invalid int value"; and it checks
every image that the check of either task will read before anything is written (a segmenter's
dynamic check reads five, the fifth in its batch of two)."""

from __future__ import annotations

import pytest
from random_checkpoints import TINY_UNET, write_checkpoint
from tool_modules import load_tool

from detseg.data.shapes import generate_shapes


def last_line(done) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_checkpoint_after_verify_images_is_one_line_with_the_order(
    run_tool, demo_checkpoint, tmp_path
):
    images = [tmp_path / "a.png", tmp_path / "b.png"]
    done = run_tool("export.py", "--verify-images", *images, demo_checkpoint)
    assert last_line(done) == (
        f"export: error: '{demo_checkpoint}' was read as --verify-images PATH (--verify-images "
        "takes every word up to the next flag); put the checkpoint before --verify-images: "
        "python tools/export.py CHECKPOINT --verify-images PATH ..."
    )


def test_a_checkpoint_after_input_size_is_one_line_with_the_order(
    run_tool, demo_checkpoint, tmp_path
):
    done = run_tool("export.py", "--input-size", "96", demo_checkpoint, "--no-verify")
    assert last_line(done) == (
        f"export: error: '{demo_checkpoint}' was read as --input-size N (--input-size takes "
        "every word up to the next flag); put the checkpoint before --input-size: "
        "python tools/export.py CHECKPOINT --input-size N ..."
    )
    wrong = run_tool("export.py", demo_checkpoint, "--input-size", "9x6")
    assert last_line(wrong).endswith("argument --input-size: invalid int value: '9x6'")


def test_the_help_says_to_give_the_checkpoint_first(run_tool):
    done = run_tool("export.py", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "give the checkpoint before it (CHECKPOINT --verify-images A.png B.png)" in text


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "static"])
def test_an_unreadable_fifth_image_stops_a_segmenter_export_before_writing(
    run_tool, tmp_path, dynamic
):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=4, size=32, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "unet.pt", "configs/segmentation/unet_shapes.yaml", TINY_UNET
    )
    images = sorted((root / "val" / "images").iterdir())
    bad = tmp_path / "e_bad.png"
    bad.write_text("not an image")
    out = tmp_path / "u.onnx"
    flags = ["--dynamic"] if dynamic else ["--batch-size", "2"]  # 5 images, 6 images
    done = run_tool(
        "export.py", checkpoint, "--out", out, "--input-size", "32", *flags,
        "--verify-images", *images, bad,
    )  # fmt: skip
    assert f"--verify-images: cannot read image {bad}" in last_line(done)
    assert not out.exists() and not list(tmp_path.glob("*.json"))


@pytest.mark.parametrize(
    "argv",
    [
        ["--input-size", "96", "--no-verify"],
        ["--verify-images", "a.png"],
        ["--input-size", "96", "--"],
        ["--verify-images", "images/"],
    ],
)
def test_a_missing_checkpoint_is_said_missing(argv, capsys):
    """Where the words a list flag took name no checkpoint (a size, an image, an image folder),
    the checkpoint was not given at all: argparse's own line, not the order advice."""
    with pytest.raises(SystemExit) as exit_info:
        load_tool("export.py").parse_args(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith("the following arguments are required: checkpoint"), last


def test_a_run_folder_after_verify_images_gets_the_order(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.pt").write_bytes(b"")
    with pytest.raises(SystemExit):
        load_tool("export.py").parse_args(["--verify-images", "a.png", str(run)])
    assert f"'{run}' was read as --verify-images PATH" in capsys.readouterr().err

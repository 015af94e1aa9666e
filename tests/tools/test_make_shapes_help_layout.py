"""``tools/make_shapes.py --help`` says where the files go, and they go there."""

from __future__ import annotations


def test_every_path_the_help_names_is_written(tmp_path, run_tool):
    help_text = run_tool("make_shapes.py", "--help").stdout
    paths = [line.split()[0] for line in help_text.splitlines() if line.strip().startswith("OUT/")]
    assert len(paths) == 3, help_text  # images, COCO json, semantic masks
    out = tmp_path / "shapes"
    args = [
        "--out",
        out,
        "--num-train",
        "1",
        "--num-val",
        "1",
        "--num-test",
        "1",
        "--size",
        "32",
        "--workers",
        "1",
    ]
    result = run_tool("make_shapes.py", *args)
    assert result.returncode == 0, result.stderr
    for path in paths:
        for split in ("train", "val", "test"):
            assert (out / path.removeprefix("OUT/").replace("train", split)).is_file(), path

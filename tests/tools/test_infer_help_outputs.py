"""``tools/infer.py --help`` says what a run writes: the drawn images, predictions.json (with a
Mask R-CNN's masks as RLE), a video's .mp4 and .jsonl, a segmenter's label maps; and what an
input that cannot be read does: one error line, the others processed, exit code 2."""

from __future__ import annotations


def test_help_names_the_files_a_run_writes(run_tool):
    result = run_tool("infer.py", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for words in (
        "predictions.json",
        "file_name",
        "masks as RLE segmentation",
        "<stem>.mp4",
        "<stem>.jsonl",
        "labels/<stem>.png",
    ):
        assert words in text, words


def test_help_says_what_an_unreadable_input_does(run_tool):
    result = run_tool("infer.py", "--help")
    text = " ".join(result.stdout.split())
    assert "reported on one error line that names it" in text, text
    assert "the others are still processed, and the exit code is then 2" in text

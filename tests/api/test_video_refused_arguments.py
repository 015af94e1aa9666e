"""``predict_video`` refuses what ``Predictor.stream`` refuses (a ``score_thr`` for a segmenter,
a ``max_frames`` that is not an integer) before it opens its output files: the ``.jsonl`` and
``.mp4`` of an earlier run are left as they were, and no empty ones are made."""

from __future__ import annotations

import pytest

import detseg
from detseg.api import predict_video


@pytest.mark.parametrize(
    ("which", "arguments"),
    [
        ("segmenter", {"score_thr": 0.5}),
        ("detector", {"max_frames": True}),
        ("detector", {"max_frames": "2"}),  # a TypeError of `"2" < 1` otherwise
    ],
)
def test_a_refused_call_writes_no_file(
    which, arguments, segmenter_checkpoint, detector_checkpoint, video, tmp_path
):
    checkpoint = segmenter_checkpoint if which == "segmenter" else detector_checkpoint
    predictor = detseg.load(checkpoint, device="cpu")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "clip.jsonl").write_text('{"frame": 0}\n')
    with pytest.raises(ValueError, match="score_thr=0.5 is for detectors|max_frames must be"):
        predict_video(predictor, video, earlier, **arguments)
    assert (earlier / "clip.jsonl").read_text() == '{"frame": 0}\n'
    assert sorted(p.name for p in earlier.iterdir()) == ["clip.jsonl"]
    with pytest.raises(ValueError):
        predict_video(predictor, video, tmp_path / "new", **arguments)
    assert not (tmp_path / "new").exists()

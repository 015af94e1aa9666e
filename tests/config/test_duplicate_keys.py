"""A key written twice in one YAML mapping is an error, not a silent "last one wins"."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config, load_data_file

MODEL = "model:\n  name: faster_rcnn\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key", "line", "first"),
    [
        (MODEL + "train:\n  epochs: 3\n  epochs: 5\n", "epochs", 5, 4),
        # a second section header would silently drop the first block's settings
        (MODEL + "train:\n  epochs: 3\ntrain:\n  lr: 0.5\n", "train", 5, 3),
        (MODEL + "  name: retinanet\n", "name", 3, 2),
    ],
)
def test_a_duplicate_key_names_its_line_and_the_first_one(tmp_path, text, key, line, first):
    path = _write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}, column ")
    assert f"duplicate key '{key}' (first at line {first})" in message


def test_a_duplicate_key_in_a_base_names_the_base(tmp_path):
    base = _write(tmp_path / "base.yaml", "seed: 1\nseed: 2\n")
    path = _write(tmp_path / "c.yaml", "_base_: base.yaml\n" + MODEL)
    with pytest.raises(ConfigError, match=rf"^{base}, line 2, column 1: .*duplicate key 'seed'"):
        load_config(path)


def test_a_duplicate_key_in_a_data_file(tmp_path):
    path = _write(tmp_path / "d.yaml", "data:\n  format: voc\n  root: a\n  root: b\n")
    with pytest.raises(ConfigError, match=r"line 4, column 3: .*duplicate key 'root'"):
        load_data_file(path)


def test_the_same_key_in_different_mappings_is_fine(tmp_path):
    text = MODEL + "  rpn: {nms_thresh: 0.6}\n  roi_heads: {nms_thresh: 0.4}\ntrain:\n  lr: 0.1\n"
    cfg = load_config(_write(tmp_path / "c.yaml", text))
    assert cfg.model.kwargs["rpn"] == {"nms_thresh": 0.6}
    assert cfg.model.kwargs["roi_heads"] == {"nms_thresh": 0.4}


def test_a_merge_key_may_still_be_overridden(tmp_path):
    # YAML's ``<<: *anchor`` brings keys in that the mapping's own keys override
    text = MODEL + "  rpn: &rpn {nms_thresh: 0.6, score_thresh: 0.1}\n  roi_heads:\n"
    text += "    <<: {nms_thresh: 0.5, score_thresh: 0.2}\n    nms_thresh: 0.4\n"
    cfg = load_config(_write(tmp_path / "c.yaml", text))
    assert cfg.model.kwargs["roi_heads"] == {"nms_thresh": 0.4, "score_thresh": 0.2}


def test_a_duplicate_key_in_a_set_value_is_not_taken_silently(tmp_path):
    path = _write(tmp_path / "c.yaml", MODEL)
    with pytest.raises(ConfigError, match=r"model.rpn=.*not valid YAML \(found duplicate key"):
        load_config(path, ["model.rpn={nms_thresh: 0.6, nms_thresh: 0.7}"])

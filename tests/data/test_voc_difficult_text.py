"""A VOC ``<difficult>`` that is not a 0/1 flag (``yes``) is read as 0 and named in one
warning: without it, objects the annotator marked difficult are trained and scored unnoticed."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from detseg.data import VOCDetection


def _voc(root, flags: dict[str, list[str]]) -> None:
    """One 50 x 100 image per name, with one ``dog`` per ``<difficult>`` text of ``flags``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("".join(f"{n}\n" for n in flags))
    for name, texts in flags.items():
        assert cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((50, 100, 3)))
        objects = "".join(
            f"<object><name>dog</name><difficult>{text}</difficult><bndbox><xmin>5</xmin>"
            "<ymin>5</ymin><xmax>15</xmax><ymax>15</ymax></bndbox></object>"
            for text in texts
        )
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename>{objects}</annotation>"
        )


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_flag_written_as_a_word_is_named_once(tmp_path, caplog):
    _voc(tmp_path, {"a": ["0"], "b": ["1", "yes"], "c": ["Y"]})
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(tmp_path, "trainval")
    (message,) = _warnings(caplog)
    assert message.startswith(
        f"{tmp_path / 'Annotations' / 'b.xml'} object 2 has <difficult>yes</difficult>, which "
        "is not a 0/1 flag (2 object(s) in 2 of 3 VOC annotation files): read as 0 (not "
        "difficult)"
    )
    assert "write 1 for a difficult object and 0 otherwise" in message
    _, target = dataset[1]
    assert target["difficult"].tolist() == [1, 0]


@pytest.mark.parametrize("text", ["0", "1", "1.0", "true", "False", " 1 ", ""])
def test_flags_say_nothing(tmp_path, caplog, text):
    _voc(tmp_path, {"a": [text]})
    with caplog.at_level(logging.WARNING):
        VOCDetection(tmp_path, "trainval")
    assert _warnings(caplog) == []


def test_converting_names_the_flag_too(tmp_path, caplog):
    """``tools/convert_dataset.py`` reads VOC with the training reader's rule (``yes`` is 0);
    it read the word silently, so a converted dataset lost the difficult marks unnoticed."""
    from detseg.convert.datasets import convert_dataset

    _voc(tmp_path / "voc", {"a": ["0"], "b": ["1", "yes"]})
    with caplog.at_level(logging.WARNING):
        convert_dataset(tmp_path / "voc", tmp_path / "coco", "voc", "coco", ["trainval"])
    named = [m for m in _warnings(caplog) if "<difficult>" in m]
    assert named == [
        f"{tmp_path / 'voc' / 'Annotations' / 'b.xml'}: object 2 has <difficult>yes</difficult>, "
        "which is not a 0/1 flag: read as 0 (not difficult); write 1 for a difficult object "
        "and 0 otherwise"
    ]

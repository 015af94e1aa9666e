"""Conversion reads image headers, not pixels: a truncated JPEG is copied and not counted as
skipped. The summary says so in its last line and points to ``tools/check_data.py``, which
decodes every image (decoding during conversion costs more than the rest of it; see
:data:`detseg.convert.datasets.convert.HEADER_ONLY_NOTE`)."""

from __future__ import annotations

import shlex

from PIL import Image

from detseg.convert.datasets import convert_dataset


def test_the_summary_says_images_were_not_decoded_and_names_check_data(tmp_path):
    src = tmp_path / "voc"
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (src / folder).mkdir(parents=True)
    for image_id in ("a", "b"):
        Image.effect_noise((64, 48), 60).convert("RGB").save(src / "JPEGImages" / f"{image_id}.jpg")
        (src / "Annotations" / f"{image_id}.xml").write_text(
            "<annotation><object><name>dog</name><bndbox><xmin>3</xmin><ymin>4</ymin>"
            "<xmax>20</xmax><ymax>30</ymax></bndbox></object></annotation>"
        )
    truncated = src / "JPEGImages" / "b.jpg"
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])  # header intact, pixels cut short
    (src / "ImageSets" / "Main" / "train.txt").write_text("a\nb\n")
    dst = tmp_path / "coco"
    summary = convert_dataset(src, dst, "voc", "coco", progress=False)
    lines = summary.lines()
    assert lines[0] == "train: 2 images, 2 objects, 1/1 classes, skipped 0 objects, 0 images"
    assert lines[-1].startswith("images were read by their headers only (not decoded)")
    assert f"run detseg-check-data {dst} (tools/check_data.py) to decode every image" in lines[-1]


def test_the_check_data_command_quotes_an_output_path_with_a_space(tmp_path):
    src = tmp_path / "voc"
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (src / folder).mkdir(parents=True)
    Image.effect_noise((64, 48), 60).convert("RGB").save(src / "JPEGImages" / "a.jpg")
    (src / "Annotations" / "a.xml").write_text(
        "<annotation><object><name>dog</name><bndbox><xmin>3</xmin><ymin>4</ymin>"
        "<xmax>20</xmax><ymax>30</ymax></bndbox></object></annotation>"
    )
    (src / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    dst = tmp_path / "my data" / "coco"
    lines = convert_dataset(src, dst, "voc", "coco", progress=False).lines()
    assert f"run detseg-check-data {shlex.quote(str(dst))} (tools/check_data.py)" in lines[-1]

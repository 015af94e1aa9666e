"""An image over Pillow's decompression-bomb limit (which training, decoding with OpenCV, does
not have) is converted, not skipped as unreadable."""

from __future__ import annotations

from PIL import Image

from detseg.convert.datasets import read_dataset


def test_image_over_pillows_pixel_limit_is_converted(tmp_path, monkeypatch):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "classes.txt").write_text("x\n")
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 x 48 is over twice this
    split = read_dataset(tmp_path, "yolo").splits[0]
    assert split.skipped_images == 0
    assert [(image.width, image.height, len(image.objects)) for image in split.images] == [
        (64, 48, 1)
    ]
    assert Image.MAX_IMAGE_PIXELS == 100  # the limit is put back

"""read_image: every stored kind of PNG comes out as RGB float32 in [0, 1]; bad files raise."""

import cv2
import numpy as np
import pytest
import torch

from detseg.data.image_io import ImageReadError, read_image


def _write(path, array):
    assert cv2.imwrite(str(path), array)
    return path


def test_bgr_file_is_returned_as_rgb(tmp_path):
    bgr = np.zeros((5, 7, 3), dtype=np.uint8)
    bgr[..., 2] = 255  # pure red in OpenCV's BGR order
    bgr[0, 0] = (10, 20, 30)
    image = read_image(_write(tmp_path / "red.png", bgr))
    assert image.dtype == torch.float32 and image.shape == (3, 5, 7)
    assert torch.equal(image[:, 1, 1], torch.tensor([1.0, 0.0, 0.0]))
    assert torch.allclose(image[:, 0, 0], torch.tensor([30.0, 20.0, 10.0]) / 255)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    image = read_image(_write(tmp_path / "gray.png", gray))
    assert image.shape == (3, 3, 4)
    expected = torch.from_numpy(gray.astype(np.float32) / 255)
    for channel in image:
        assert torch.allclose(channel, expected)


def test_rgba_drops_alpha(tmp_path):
    bgra = np.zeros((4, 4, 4), dtype=np.uint8)
    bgra[...] = (0, 128, 255, 0)  # fully transparent orange: colour kept as stored
    image = read_image(_write(tmp_path / "rgba.png", bgra))
    assert image.shape == (3, 4, 4)
    assert torch.allclose(image[:, 2, 2], torch.tensor([255.0, 128.0, 0.0]) / 255)


@pytest.mark.parametrize("channels", [1, 3])
def test_16bit_is_scaled_by_65535(tmp_path, channels):
    values = np.array([[0, 1000, 65535]], dtype=np.uint16)
    array = values if channels == 1 else np.repeat(values[..., None], 3, axis=2)
    image = read_image(_write(tmp_path / f"deep{channels}.png", array))
    assert image.shape == (3, 1, 3)
    assert torch.allclose(image[0, 0], torch.tensor([0.0, 1000 / 65535, 1.0]))
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_missing_file_raises_naming_it(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(ImageReadError, match="nope.png") as info:
        read_image(path)
    assert isinstance(info.value, ValueError) and info.value.path == path


@pytest.mark.parametrize("content", [b"", b"this is not a png at all" * 10])
def test_corrupt_file_raises_naming_it(tmp_path, content):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match="broken.png"):
        read_image(path)

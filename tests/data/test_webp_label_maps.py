"""A lossy WebP label map (Pillow's default for ``.webp``) is refused like a JPEG, naming the
file; a lossless WebP (``lossless=True``), with or without alpha, reads back exactly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.label_maps import read_label_map


def label_map() -> np.ndarray:
    mask = np.full((40, 60), 5, np.uint8)
    mask[10:30, 20:45] = 15
    return mask


def test_a_lossy_webp_label_map_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "a.webp"
    Image.fromarray(label_map()).save(path)  # lossy: a "VP8 " chunk
    assert path.read_bytes()[12:16] == b"VP8 "
    expected = (
        r"a\.webp is a lossy WebP: .* store label maps as PNG or lossless WebP \(lossless=True\)"
    )
    with pytest.raises(ValueError, match=expected):
        read_label_map(path)


def test_a_lossy_webp_with_alpha_is_refused(tmp_path):
    path = tmp_path / "a.webp"  # extended (VP8X) file: ALPH, then the lossy "VP8 " chunk
    alpha = np.full((40, 60), 255, np.uint8)
    alpha[0, 0] = 0  # an alpha that is not opaque everywhere is kept (ALPH chunk)
    Image.fromarray(np.stack([label_map()] * 3 + [alpha], axis=-1)).save(path)
    assert path.read_bytes()[12:16] == b"VP8X"
    with pytest.raises(ValueError, match=r"a\.webp is a lossy WebP"):
        read_label_map(path)


@pytest.mark.parametrize("alpha", [False, True])
def test_a_lossless_webp_label_map_reads_back_exactly(tmp_path, alpha):
    path = tmp_path / "a.webp"
    planes = [label_map()] * 3 + ([np.full((40, 60), 255, np.uint8)] if alpha else [])
    Image.fromarray(np.stack(planes, axis=-1)).save(path, lossless=True)
    np.testing.assert_array_equal(read_label_map(path), label_map())


def test_an_extended_lossless_webp_is_not_taken_for_lossy(tmp_path):
    path = tmp_path / "a.webp"  # metadata makes it extended (VP8X), its image chunk VP8L
    exif = Image.Exif()
    exif[0x010E] = "label map"
    Image.fromarray(label_map()).save(path, lossless=True, exif=exif.tobytes())
    assert path.read_bytes()[12:16] == b"VP8X"
    np.testing.assert_array_equal(read_label_map(path), label_map())

"""read_json / check_text_file: one clear line for files that are not JSON text."""

from __future__ import annotations

import pytest

from detseg.data.anchor_kmeans import coco_box_sizes
from detseg.data.json_files import check_text_file, read_json
from detseg.dataset_check.box_sizes import training_box_sizes

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def test_valid_json_and_byte_order_mark(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b'\xef\xbb\xbf{"images": []}')
    assert read_json(path) == {"images": []}


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        ('{"images": [1,2,', "(line 1, column 17)", "truncated"),
        ('[{"image_id": 1,', "(line 1, column 17)", "truncated"),
        ('{"a": 1}\n{"b" 2}', "(line 2, column 1)", "Extra data"),
        ("", "(line 1, column 1)", "empty"),
    ],
)
def test_invalid_json_names_the_file_line_and_column(tmp_path, text, where, hint):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        read_json(path, "ground truth")
    message = str(info.value)
    assert message.startswith(f"ground truth {path} is not valid JSON {where}: ")
    assert hint in message


def test_binary_file_is_not_a_json_text_file(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(PNG_HEAD)
    with pytest.raises(ValueError, match=r"image.png is not a JSON text file: .*PNG image"):
        read_json(path)
    with pytest.raises(ValueError, match="is not a JSON or YAML text file: .*; give a config"):
        check_text_file(path, expected="JSON or YAML", fix="give a config")
    other = tmp_path / "other.bin"
    other.write_bytes(b"ab\xfe")
    with pytest.raises(ValueError, match="byte 0xfe at position 2 is not UTF-8"):
        read_json(other)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="predictions .*missing.json is not a file"):
        read_json(tmp_path / "missing.json", "predictions")


def test_anchor_sources_that_are_not_text(tmp_path):
    png = tmp_path / "image.png"
    png.write_bytes(PNG_HEAD)
    with pytest.raises(ValueError, match="image.png is not a JSON or YAML text file"):
        training_box_sizes(png, 416)
    as_json = tmp_path / "image.json"
    as_json.write_bytes(PNG_HEAD)
    with pytest.raises(ValueError, match="image.json is not a JSON text file"):
        coco_box_sizes(as_json, 416)
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [1,2,')
    with pytest.raises(ValueError, match=r"is not valid JSON \(line 1, column 17\)"):
        training_box_sizes(broken, 416)

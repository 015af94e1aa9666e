"""A converted dataset's ``data.yaml`` holds class names and paths as they are (``carré``, not
YAML's ``"carr\\xE9"`` escapes), UTF-8, which the data-file loader reads back unchanged."""

from __future__ import annotations

from detseg.config.data_file import load_data_file
from detseg.convert.datasets.data_file import write_data_file


def test_unicode_names_and_paths_are_written_as_they_are(tmp_path):
    root = tmp_path / "données"
    root.mkdir()
    path = write_data_file("voc", root, ["train", "val"], ["carré", "étoile ★", "red circle"])
    text = path.read_text(encoding="utf-8")
    assert "- carré\n" in text and "- étoile ★\n" in text and "données" in text
    assert load_data_file(path)["classes"] == ["carré", "étoile ★", "red circle"]

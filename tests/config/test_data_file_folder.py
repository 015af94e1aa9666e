"""A dataset folder given where a data file goes (``--data FOLDER``): one line that names the
data file inside it, or says that it holds none and how to give one."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config, load_data_file

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def _message(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_data_file(folder)
    message = str(caught.value)
    assert "\n" not in message
    with pytest.raises(ConfigError) as through_config:
        load_config(DEMO, data_file=folder)
    assert str(through_config.value) == message
    return message


def test_a_folder_with_a_data_yaml_names_it(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("names: [a]\ntrain: images/train\nval: images/val\n")
    (tmp_path / "other.yaml").write_text("x: 1\n")
    assert _message(tmp_path) == (
        f"{tmp_path} is a folder, not a data file; give the data file inside it: "
        f"{tmp_path / 'data.yaml'}"
    )


def test_a_folder_with_another_yaml_names_that(tmp_path: Path) -> None:
    (tmp_path / "coco8.yaml").write_text("names: [a]\ntrain: images/train\n")
    message = _message(tmp_path)
    assert message.endswith(f"give the data file inside it: {tmp_path / 'coco8.yaml'}")


def test_a_folder_without_a_data_file_says_so_and_how_to_give_one(tmp_path: Path) -> None:
    message = _message(tmp_path)
    assert "give the YAML file inside it" not in message
    assert message.startswith(
        f"{tmp_path} is a folder, not a data file, and holds none (no .yaml in it); "
    )
    assert f"detseg-check-data {tmp_path} tells the layout it finds" in message
    assert f"(--data datasets/FORMAT --set data.root={tmp_path}; the layouts: coco " in message
    assert "folder_seg images/ + masks/)" in message  # every layout, none picked at random


def test_a_folder_in_a_known_layout_gets_that_layouts_packaged_data_file(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    message = _message(tmp_path)
    assert f"--data datasets/folder_seg --set data.root={tmp_path}" in message
    assert (REPO / "configs" / "datasets" / "folder_seg.yaml").is_file()


def test_a_folder_with_several_other_yamls_names_them(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    assert _message(tmp_path).endswith(f"inside it: {tmp_path / 'a.yaml'} or {tmp_path / 'b.yml'}")

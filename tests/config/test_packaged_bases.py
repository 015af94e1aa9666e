"""A ``_base_`` entry that is no file next to the config names a packaged config, as CONFIG and
``--data`` do: a user config in any folder builds on ``demo`` or ``datasets/voc``. A file next
to the config wins; a name found in neither place is one error naming both places and the
closest packaged names. The packaged configs' own relative ``_base_`` paths keep working.

The tests run from an empty folder (``monkeypatch.chdir``), as a pip user outside a checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.config.bases import compose
from detseg.config.packaged import packaged_config_dir

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """An empty current folder outside the checkout, holding the user's config folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("ref", ["demo", "demo.yaml", "configs/demo.yaml"])
def test_a_packaged_name_is_a_base_from_any_folder(elsewhere, ref):
    config = elsewhere / "mine" / "mycfg.yaml"
    config.parent.mkdir()
    config.write_text(f"_base_: {ref}\ntrain:\n  epochs: 2\n")
    cfg = load_config(config)
    demo = load_config(CONFIGS / "demo.yaml")
    assert cfg.train.epochs == 2
    assert (cfg.model, cfg.data) == (demo.model, demo.data)


def test_a_list_of_packaged_names_merges_in_order(elsewhere):
    config = elsewhere / "mycfg.yaml"
    config.write_text("_base_: [faster_rcnn/faster_rcnn_r50_fpn_coco, datasets/voc]\n")
    cfg = load_config(config, ["data.root=data/VOC2007"])
    coco = load_config(CONFIGS / "faster_rcnn" / "faster_rcnn_r50_fpn_coco.yaml")
    assert cfg.model == coco.model and coco.data.format == "coco"
    assert (cfg.data.format, cfg.data.root) == ("voc", "data/VOC2007")


@pytest.mark.parametrize("ref", ["demo.yaml", "demo"])
def test_a_file_next_to_the_config_wins_over_a_packaged_one(elsewhere, ref):
    (elsewhere / "demo.yaml").write_text("train:\n  epochs: 7\n")
    (elsewhere / "mycfg.yaml").write_text(f"_base_: {ref}\n")
    assert compose(elsewhere / "mycfg.yaml") == {"train": {"epochs": 7}}


def test_the_packaged_configs_relative_bases_still_resolve_inside_the_package(elsewhere):
    packaged = packaged_config_dir()
    assert packaged is not None
    for name in ("segmentation/unet_shapes.yaml", "yolo/yolov3_voc.yaml"):
        assert "../_base_/" in (packaged / name).read_text()
        assert load_config(name).model.name


def test_a_base_found_nowhere_names_both_places_and_the_closest_names(elsewhere):
    (elsewhere / "mycfg.yaml").write_text("_base_: dmo\n")
    with pytest.raises(ConfigError) as error:
        load_config("mycfg.yaml")
    assert str(error.value) == (
        "mycfg.yaml: _base_ 'dmo' not found (looked for dmo and for the packaged config 'dmo'); "
        "closest packaged configs: demo; "
        "list the packaged configs with detseg-train --list-configs (tools/train.py)"
    )


def test_a_copied_config_with_a_relative_packaged_base_gets_its_packaged_name(elsewhere):
    (elsewhere / "copy.yaml").write_text("_base_: ../_base_/shapes_cpu.yaml\n")
    with pytest.raises(ConfigError) as error:
        load_config("copy.yaml")
    message = str(error.value)
    assert message.startswith(
        f"copy.yaml: _base_ '../_base_/shapes_cpu.yaml' not found (looked for "
        f"{Path('../_base_/shapes_cpu.yaml')}); closest packaged configs: _base_/shapes_cpu"
    )

"""Configs named without a path: a file first, else a packaged config by its name relative to
``configs/`` (``.yaml`` and a leading ``configs/`` optional); an unknown name is one error with
the closest names; ``tools/train.py --list-configs`` prints them.

The tests run from an empty folder (``monkeypatch.chdir``), as a pip user outside a checkout.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg.config import ConfigError, load_config, load_data_file, packaged_configs
from detseg.config.packaged import (
    LISTED_FOLDER,
    LISTED_KINDS,
    packaged_config_dir,
    resolve_config_path,
)
from detseg.dataset_check import load_data_section

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """An empty current folder outside the checkout."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    ("given", "file"),
    [
        ("demo", "demo.yaml"),
        ("demo.yaml", "demo.yaml"),
        ("configs/demo.yaml", "demo.yaml"),
        ("configs/demo", "demo.yaml"),
        ("faster_rcnn/faster_rcnn_r50_fpn_coco", "faster_rcnn/faster_rcnn_r50_fpn_coco.yaml"),
        ("segmentation/unet_shapes.yaml", "segmentation/unet_shapes.yaml"),
    ],
)
def test_a_name_finds_the_packaged_file(elsewhere, caplog, given, file):
    with caplog.at_level(logging.INFO, logger="detseg.config.packaged"):
        found = resolve_config_path(given)
    assert found.resolve() == (CONFIGS / file).resolve()
    assert [r.getMessage() for r in caplog.records] == [f"{given}: the packaged config {found}"]


def test_an_existing_file_comes_first(elsewhere, caplog):
    (elsewhere / "demo.yaml").write_text("model: {name: unet}\n")
    with caplog.at_level(logging.INFO, logger="detseg.config.packaged"):
        assert resolve_config_path("demo.yaml") == Path("demo.yaml")
    assert caplog.records == []  # a file as given: nothing to say
    assert resolve_config_path("demo").resolve() == (CONFIGS / "demo.yaml").resolve()


def test_an_existing_folder_is_kept_for_the_dataset_check(elsewhere):
    """``datasets/shapes`` is a packaged data file and, here, a dataset folder: the dataset
    check, which reads a folder by its layout, takes the folder."""
    (elsewhere / "datasets" / "shapes").mkdir(parents=True)
    assert resolve_config_path("datasets/shapes", folders=True) == Path("datasets/shapes")
    with pytest.raises(ConfigError, match="datasets/shapes is a folder without a data.yaml"):
        load_data_section("datasets/shapes")


def test_a_folder_does_not_hide_a_packaged_file_from_a_file_reader(elsewhere):
    """``--data datasets/shapes`` in a checkout after ``make demo`` (which makes the folder
    ``datasets/shapes/``) reads the packaged data file; so does a config beside a folder."""
    (elsewhere / "datasets" / "shapes").mkdir(parents=True)
    (elsewhere / "demo").mkdir()
    assert load_data_file("datasets/shapes")["format"] == "coco"
    assert load_config("demo").model.name == "faster_rcnn"
    (elsewhere / "mine").mkdir()
    with pytest.raises(ConfigError, match="mine is a folder"):  # no packaged file: the folder
        load_config("mine")


@pytest.mark.parametrize(
    ("given", "first"), [("voc", "datasets/voc"), ("coco.yaml", "datasets/coco")]
)
def test_a_bare_name_suggests_the_packaged_files_of_that_name(elsewhere, given, first):
    with pytest.raises(ConfigError, match=f"closest packaged configs: {first}[,;]"):
        load_data_file(given)


def test_load_config_reads_a_packaged_config_with_its_bases(elsewhere):
    cfg = load_config("faster_rcnn/faster_rcnn_r50_fpn_coco", ["train.epochs=1"])
    assert cfg.model.name == "faster_rcnn_resnet50_fpn"
    assert cfg.data.format == "coco"  # from its _base_ (../_base_/coco_1x.yaml), in the package
    assert cfg.train.epochs == 1


def test_a_packaged_data_file_and_the_dataset_check_take_names(elsewhere):
    assert load_data_file("datasets/voc")["format"] == "voc"
    section, kind = load_data_section("demo", ["data.root=/data/shapes"])
    assert (kind, section["root"]) == ("config", "/data/shapes")


def test_an_unknown_name_says_the_closest_and_how_to_list(elsewhere):
    with pytest.raises(ConfigError) as caught:
        load_config("faster_rcnn_r50_fpn_coc")
    message = str(caught.value)
    assert message.startswith("config file not found: faster_rcnn_r50_fpn_coc (no such file")
    assert "closest packaged configs: faster_rcnn/faster_rcnn_r50_fpn_coco" in message
    assert "--list-configs" in message
    assert "\n" not in message


def test_a_missing_absolute_path_is_no_name(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert str(caught.value) == f"config file not found: {missing}"


def test_every_packaged_config_says_what_it_is(elsewhere):
    configs = packaged_configs()
    names = {config.name for config in configs}
    on_disk = {p.relative_to(CONFIGS).with_suffix("").as_posix() for p in CONFIGS.rglob("*.yaml")}
    assert names == on_disk
    assert {"demo", "_base_/shapes_cpu", "datasets/voc", "yolo/yolov3_shapes"} <= names
    for config in configs:
        assert config.description, f"{config.path}: starts with no comment line"
        assert resolve_config_path(config.name) == config.path


def test_an_installed_package_is_found_by_its_name(tmp_path, monkeypatch):
    """Installed, the configs are the folder ``detseg_configs`` of site-packages (no
    ``__init__.py``): found through the import system, not the checkout."""
    site = tmp_path / "site"
    shutil.copytree(CONFIGS, site / "detseg_configs")
    (site / "detseg_configs" / "yolo" / "installed.yaml").write_text(
        "# Only in the installed folder.\n_base_: yolov3_shapes.yaml\nseed: 7\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    assert packaged_config_dir() == site / "detseg_configs"
    cfg = load_config("yolo/installed", ["train.epochs=1"])
    assert (cfg.seed, cfg.model.name) == (7, "yolo")  # the base beside it, in the package


def test_list_configs_prints_names_and_descriptions(elsewhere, capsys):
    train = load_tool("train.py")
    assert train.main(["--list-configs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.startswith("  ")]) == len(packaged_configs())
    *headings, folder = [line for line in lines if not line.startswith("  ")]
    assert headings == list(LISTED_KINDS.values())
    assert folder == f"{LISTED_FOLDER} {packaged_config_dir()}"  # where to copy one from
    below = {heading: lines.index(heading) for heading in headings}
    for name, heading in [("demo", 0), ("datasets/voc", 1), ("_base_/shapes_cpu", 2)]:
        at = next(i for i, line in enumerate(lines) if line.split()[0] == name)
        assert below[headings[heading]] < at, (name, lines)
        assert heading == 2 or at < below[headings[heading + 1]], (name, lines)
    described = {line.split()[0]: line.split(None, 1)[1] for line in lines if line[:2] == "  "}
    assert described["demo"] == (
        "The demo: a small Faster R-CNN trained from scratch on the synthetic shapes dataset on ..."
    )
    assert described["_base_/shapes_cpu"] == (
        "Base: the synthetic shapes dataset with a short schedule that fits a laptop CPU."
    )
    assert described["ssd/ssd300_vgg16_voc"].startswith(
        "SSD300 on VGG16 on PASCAL VOC 07+12 trainval -> 2007 test (Liu et al. 2016)"
    )


def test_config_is_required_without_list_configs(capsys):
    with pytest.raises(SystemExit) as stop:
        load_tool("train.py").parse_args(["--work-dir", "runs/x"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "train: error: the following arguments are required: config"
    )


def test_a_packaged_data_file_given_as_config_is_suggested_by_its_name(elsewhere):
    """The packaged file's own path would be a site-packages path: the name is what to type."""
    with pytest.raises(ConfigError, match=r"e\.g\. detseg-train demo --data datasets/voc \("):
        load_config("datasets/voc")

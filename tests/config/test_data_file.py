"""Data files (--data): detseg data files, Ultralytics data yamls, configs/datasets/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detseg.config import ConfigError, config_from_dict, load_config, load_data_file
from detseg.segmentation import SEGMENTATION_MODELS

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
DATASETS = REPO / "configs" / "datasets"
FLIP = [{"name": "HorizontalFlip", "p": 0.5}]


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


# --------------------------------------------------------------------------- detseg data files


def test_a_data_mapping_and_a_flat_section_read_the_same(tmp_path):
    section = {"format": "voc", "root": "rel/VOC2007", "val_split": "val"}
    nested = load_data_file(_write(tmp_path / "nested.yaml", {"data": section}))
    flat = load_data_file(_write(tmp_path / "flat.yaml", section))
    assert nested == flat == section  # a relative root stays as written
    assert "augmentations" not in flat


def test_format_and_root_are_filled_in_augmentations_only_when_given(tmp_path):
    assert load_data_file(_write(tmp_path / "a.yaml", {"data": {"val_ann": "v.json"}})) == {
        "format": "coco",
        "root": "",
        "val_ann": "v.json",
    }
    given = load_data_file(_write(tmp_path / "b.yaml", {"format": "yolo", "augmentations": FLIP}))
    assert given == {"format": "yolo", "root": "", "augmentations": FLIP}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"data": {"format": "voc"}, "train": {"lr": 1}},
            r"only a 'data:' mapping, found also train",
        ),
        ({"data": [1]}, r"'data' must be a mapping"),
        ({"root": "x"}, r"not a data file: expected a 'data:' mapping"),
        ({"format": "vocc"}, r"unknown data.format 'vocc'; did you mean 'voc'"),
        ({"format": "voc", "train_ann": "a"}, r"data.train_ann is a key of format coco, not voc"),
        ({"format": "coco", "val_anns": "a"}, r"did you mean 'data.val_ann'"),
        ({"format": "coco", "root": 3}, r"'root' must be a path"),
        ({"format": 3}, r"'format' must be a format name"),
        ({"format": "coco", "augmentations": {"name": "x"}}, r"'augmentations' must be a list"),
        ([1, 2], r"expected a mapping at the top level"),
    ],
)
def test_errors_name_the_file_and_what_is_wrong(tmp_path, content, message):
    path = _write(tmp_path / "bad.yaml", content)
    with pytest.raises(ConfigError, match=message) as info:
        load_data_file(path)
    assert str(path) in str(info.value)


def test_a_missing_data_file(tmp_path):
    with pytest.raises(ConfigError, match=r"data file not found: .*nope.yaml"):
        load_data_file(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- Ultralytics


def test_an_ultralytics_yaml_becomes_a_yolo_section(tmp_path):
    content = {
        "path": "../coco8",
        "train": "images/train",
        "val": "images/val",
        "test": None,
        "names": {0: "person", 1: "bicycle", 2: "car"},
        "download": "https://example.org/coco8.zip",
    }
    section = load_data_file(_write(tmp_path / "cfg" / "coco8.yaml", content))
    assert section == {
        "format": "yolo",
        "root": str(tmp_path / "coco8"),  # relative to the yaml's folder
        "train_images": "images/train",
        "val_images": "images/val",
        "classes": ["person", "bicycle", "car"],
    }


def test_ultralytics_root_absent_or_absolute(tmp_path):
    content = {"train": "images/train", "val": "images/val", "names": ["a", "b"]}
    assert load_data_file(_write(tmp_path / "d" / "x.yaml", content))["root"] == str(tmp_path / "d")
    absolute = {**content, "path": "/data/set"}
    assert load_data_file(_write(tmp_path / "y.yaml", absolute))["root"] == "/data/set"


def test_ultralytics_relative_yaml_path_gives_a_relative_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "sets" / "a.yaml", {"path": "a", "train": "t", "val": "v", "names": ["x"]})
    assert load_data_file("sets/a.yaml")["root"] == str(Path("sets") / "a")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"names": {0: "a", 2: "b"}}, r"'names' keys must be class indices 0..K-1, got \[0, 2\]"),
        ({"names": []}, r"'names' must be a non-empty list"),
        ({"val": None}, r"'val' is required"),
        ({"train": "train.txt"}, r"'train: train.txt' is a list of images"),
        ({"train": ["a", "b"]}, r"'train' must be one images folder"),
        ({"nc": 3}, r"'nc' is 3 but 'names' has 2 names"),
    ],
)
def test_ultralytics_errors(tmp_path, change, message):
    content = {"path": ".", "train": "images/train", "val": "images/val", "names": ["a", "b"]}
    path = _write(tmp_path / "u.yaml", {**content, **change})
    with pytest.raises(ConfigError, match=message) as info:
        load_data_file(path)
    assert str(info.value).startswith(f"{path} (an Ultralytics data yaml): ")


# --------------------------------------------------------------------------- with a config


def test_the_data_file_replaces_the_data_section_keeping_augmentations(tmp_path):
    data = _write(tmp_path / "voc.yaml", {"data": {"format": "voc", "root": "/v"}})
    cfg = load_config(DEMO, data_file=data)
    assert cfg.data.dataset_kwargs() == {"format": "voc", "root": "/v"}
    assert cfg.data.augmentations == load_config(DEMO).data.augmentations
    own = _write(tmp_path / "own.yaml", {"format": "voc", "root": "/v", "augmentations": FLIP})
    assert load_config(DEMO, data_file=own).data.augmentations == FLIP


def test_overrides_apply_after_the_data_file(tmp_path):
    data = _write(tmp_path / "voc.yaml", {"format": "voc", "root": "/v"})
    cfg = load_config(DEMO, ["data.root=/w", "data.val_split=val"], data_file=data)
    assert cfg.data.dataset_kwargs() == {"format": "voc", "root": "/w", "val_split": "val"}
    with pytest.raises(ConfigError, match=r"data.val_ann is a key of format coco, not voc"):
        load_config(DEMO, ["data.val_ann=x.json"], data_file=data)


def test_config_from_dict_takes_a_data_file(tmp_path):
    ultra = {"path": "set", "train": "images/train", "val": "images/val", "names": ["a"]}
    data = _write(tmp_path / "u.yaml", ultra)
    raw = load_config(DEMO).to_dict()
    cfg = config_from_dict(raw, "<checkpoint>", data_file=data)
    assert cfg.data.format == "yolo" and cfg.data.options["classes"] == ["a"]
    assert cfg.data.root == str(tmp_path / "set")


# --------------------------------------------------------------------------- configs/datasets


SHIPPED = sorted(DATASETS.glob("*.yaml"))
DETECTION_CONFIGS = sorted(
    p
    for p in (REPO / "configs").rglob("*.yaml")
    if not {"_base_", "datasets"} & set(p.parts)
    and yaml.safe_load(p.read_text())["model"]["name"] not in SEGMENTATION_MODELS
)


def test_the_shipped_data_files():
    assert {p.stem for p in SHIPPED} >= {"coco", "voc", "yolo", "shapes"}
    formats = {p.stem: load_data_file(p)["format"] for p in SHIPPED}
    assert formats == {
        "coco": "coco",
        "voc": "voc",
        "yolo": "yolo",
        "shapes": "coco",
        "voc_seg": "voc_seg",
        "folder_seg": "folder_seg",
    }
    for path in SHIPPED:
        header = [line for line in path.read_text().splitlines() if line.startswith("#")]
        assert 3 <= len(header) <= 6, path
        assert any("--data configs/datasets/" + path.name in line for line in header), path


@pytest.mark.parametrize("config", DETECTION_CONFIGS, ids=lambda p: p.stem)
def test_every_detection_config_takes_every_data_file(config):
    assert len(DETECTION_CONFIGS) >= 10
    own = load_config(config)
    for name in ("coco", "voc", "yolo", "shapes"):
        section = load_data_file(DATASETS / f"{name}.yaml")
        cfg = load_config(config, data_file=DATASETS / f"{name}.yaml")
        assert cfg.data.dataset_kwargs() == section
        assert cfg.data.augmentations == own.data.augmentations
        assert cfg.model == own.model and cfg.train == own.train


# --------------------------------------------------------------------------- end to end


def test_shapes_data_file_builds_the_dataset_under_a_voc_config(tmp_path):
    from detseg.data import build_dataset
    from detseg.data.shapes import generate_shapes

    root = tmp_path / "shapes"
    generate_shapes(root, num_train=2, num_val=1, size=64, seed=0)
    config = REPO / "configs" / "faster_rcnn" / "faster_rcnn_vgg16_voc.yaml"
    cfg = load_config(config, [f"data.root={root}"], data_file=DATASETS / "shapes.yaml")
    assert len(build_dataset(cfg.data.dataset_kwargs(), "train")) == 2


def test_an_ultralytics_yaml_builds_the_yolo_dataset(tmp_path):
    from PIL import Image

    from detseg.data import build_dataset

    for split in ("train", "val"):
        (tmp_path / "set" / "images" / split).mkdir(parents=True)
        (tmp_path / "set" / "labels" / split).mkdir(parents=True)
        Image.new("RGB", (40, 20)).save(tmp_path / "set" / "images" / split / "a.png")
        (tmp_path / "set" / "labels" / split / "a.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    ultra = {"path": "../set", "train": "images/train", "val": "images/val", "names": ["x", "y"]}
    data = _write(tmp_path / "yamls" / "set.yaml", ultra)
    cfg = load_config(DEMO, data_file=data)
    dataset = build_dataset(cfg.data.dataset_kwargs(), "val")
    image, target = dataset[0]
    assert list(dataset.classes) == ["x", "y"] and target["labels"].tolist() == [2]
    assert target["boxes"].tolist() == [[10.0, 5.0, 30.0, 15.0]]


def test_a_data_file_given_as_the_config_names_both_ways_to_pair_it():
    with pytest.raises(ConfigError) as caught:
        load_config(str(REPO / "configs" / "datasets" / "yolo.yaml"))
    assert str(caught.value).endswith(
        "a data file goes with a model config, e.g. detseg-train demo --data datasets/yolo "
        "(tools/train.py), in Python load_config('demo', data_file='datasets/yolo')"
    )
    assert load_config("demo", data_file="datasets/yolo").data.format == "yolo"

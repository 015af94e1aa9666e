"""``~`` in the path-valued keys of a config is the user's home folder, expanded when the config
is loaded: ``work_dir: ~/runs`` must not make a folder named ``~`` in the current directory, and
the resolved config (a run's ``config.yaml``) names the real folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from detseg.config import load_config

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder of the test's own (``~`` expands to it)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_every_path_key_set_from_the_command_line_is_expanded(home):
    cfg = load_config(
        DEMO,
        [
            "work_dir=~/runs",
            "data.root=~/data",
            "data.train_images=~/images",
            "model.init_from=~/x.pt",
            "model.backbone_weights=~/w.pt",
        ],
    )
    assert cfg.work_dir == f"{home}/runs"
    assert cfg.data.root == f"{home}/data"
    assert cfg.data.options["train_images"] == f"{home}/images"
    assert cfg.model.init_from == f"{home}/x.pt"
    assert cfg.model.kwargs["backbone_weights"] == f"{home}/w.pt"
    resolved = cfg.to_dict()  # what config.yaml of the run holds
    assert resolved["work_dir"] == f"{home}/runs"
    assert resolved["data"]["root"] == f"{home}/data"


def test_paths_written_in_a_file_are_expanded_and_other_values_kept(home, tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(
        f"_base_: {DEMO}\nwork_dir: ~/runs/exp\ndata: {{root: ~/shapes}}\n"
        "model: {init_from: 'torchvision:fasterrcnn_resnet50_fpn', backbone_weights: imagenet}\n"
    )
    cfg = load_config(path)
    assert (cfg.work_dir, cfg.data.root) == (f"{home}/runs/exp", f"{home}/shapes")
    assert cfg.model.init_from == "torchvision:fasterrcnn_resnet50_fpn"
    assert cfg.model.kwargs["backbone_weights"] == "imagenet"
    assert cfg.data.options["val_images"] == "val/images"  # relative: kept as written


def test_the_config_base_and_data_file_may_be_under_the_home(home):
    (home / "configs").mkdir()
    (home / "configs" / "base.yaml").write_text(f"_base_: {DEMO}\nseed: 7\n")
    (home / "configs" / "exp.yaml").write_text("_base_: ~/configs/base.yaml\n")
    (home / "data.yaml").write_text("data: {format: coco, root: ~/shapes}\n")
    cfg = load_config("~/configs/exp.yaml", data_file="~/data.yaml")
    assert (cfg.seed, cfg.data.root) == (7, f"{home}/shapes")


def test_an_ultralytics_path_under_the_home(home):
    (home / "coco8.yaml").write_text(
        "path: ~/datasets/coco8\ntrain: images/train\nval: images/val\nnames: [person]\n"
    )
    cfg = load_config(DEMO, data_file=home / "coco8.yaml")
    assert cfg.data.root == f"{home}/datasets/coco8"


def test_train_work_dir_flag_is_expanded(home):
    spec = importlib.util.spec_from_file_location("tool_train_home_paths", REPO / "tools/train.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    args = tool.parse_args(["~/exp.yaml", "--work-dir=~/runs", "--data", "~/d.yaml"])
    assert (args.config, args.work_dir, args.data) == (
        home / "exp.yaml",
        home / "runs",
        home / "d.yaml",
    )

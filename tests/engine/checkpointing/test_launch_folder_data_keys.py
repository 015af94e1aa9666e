"""The data keys of a checkpoint's config read from its launch folder: a class-names file
(``data.classes``), the path keys of a data section whose root is the working folder
(``""``, ``.``), and the one warning line for a root that neither folder holds
(:func:`detseg.engine.checkpointing.launch_folder.checkpoint_config`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing.launch_folder import checkpoint_config

REPO = Path(__file__).resolve().parents[3]
SHAPES = ["circle", "square", "triangle"]


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """``(launch, here)``: a launch folder holding ``datasets/shapes/`` and the class-names
    file ``myclasses.txt``, and the empty working folder ``here``."""
    launch, here = tmp_path / "launch", tmp_path / "here"
    (launch / "datasets" / "shapes").mkdir(parents=True)
    (launch / "myclasses.txt").write_text("".join(f"{name}\n" for name in SHAPES))
    here.mkdir()
    monkeypatch.chdir(here)
    return launch, here


def _state(launch: Path | None, **data) -> dict:
    config = load_config(REPO / "configs" / "demo.yaml").to_dict()
    config["data"].update({"root": "datasets/shapes", **data})
    state = {"model": {}, "config": config, "classes": SHAPES, "meta": {}}
    return state if launch is None else {**state, "launch_folder": str(launch)}


def _messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_a_class_names_file_of_the_launch_folder_is_read(folders, caplog):
    launch, _ = folders
    generate_shapes(launch / "datasets" / "shapes", num_train=1, num_val=2, size=64, seed=0)
    caplog.set_level(logging.INFO)
    state = _state(launch, classes="myclasses.txt")
    cfg = checkpoint_config(state, "best.pt")
    assert cfg.data.options["classes"] == str(launch / "myclasses.txt")
    assert state["config"]["data"]["classes"] == "myclasses.txt"  # the checkpoint's dict
    assert _messages(caplog)[-1] == (
        f"data.classes myclasses.txt read from the run's launch folder {launch} (the "
        "checkpoint was trained there)"
    )
    assert build_dataset(cfg.data.dataset_kwargs(), "val").classes == SHAPES


def test_a_class_file_under_the_root_or_here_and_a_class_name_stay(folders):
    launch, here = folders
    (launch / "datasets" / "shapes" / "names.txt").write_text("a\n")
    cfg = checkpoint_config(_state(launch, classes="names.txt"), "best.pt")
    assert cfg.data.options["classes"] == "names.txt"  # under the root read from the launch
    (here / "myclasses.txt").write_text("a\n")
    cfg = checkpoint_config(_state(launch, classes="myclasses.txt"), "best.pt")
    assert cfg.data.options["classes"] == "myclasses.txt"  # the working folder's comes first
    (launch / "voc").write_text("a\n")
    voc = {"format": "voc", "root": "datasets/shapes", "classes": "voc"}
    state = _state(launch)
    state["config"]["data"] = voc
    assert checkpoint_config(state, "best.pt").data.options["classes"] == "voc"  # a name


def test_a_class_file_is_read_as_given_after_an_override_or_without_a_launch_folder(folders):
    launch, _ = folders
    state = _state(launch, classes="myclasses.txt")
    cfg = checkpoint_config(state, "best.pt", overrides=["data.root=datasets/other"])
    assert cfg.data.options["classes"] == "myclasses.txt"  # relative to the root given
    cfg = checkpoint_config(state, "best.pt", overrides=["data.classes=myclasses.txt"])
    assert cfg.data.options["classes"] == "myclasses.txt"  # as given
    cfg = checkpoint_config(_state(None, classes="myclasses.txt"), "best.pt")
    assert cfg.data.options["classes"] == "myclasses.txt"


@pytest.mark.parametrize("root", ["", "."])
def test_the_data_keys_of_a_working_folder_root_are_read(folders, root, caplog):
    launch, here = folders
    (launch / "datasets" / "shapes" / "val.json").write_text("{}")
    (here / "train.json").write_text("{}")
    caplog.set_level(logging.INFO)
    keys = {"val_ann": "datasets/shapes/val.json", "train_ann": "train.json"}
    cfg = checkpoint_config(_state(launch, root=root, **keys), "best.pt")
    assert cfg.data.root == root
    assert cfg.data.options["val_ann"] == str(launch / "datasets" / "shapes" / "val.json")
    assert cfg.data.options["train_ann"] == "train.json"  # the working folder's comes first
    assert cfg.data.options["val_images"] == "val/images"  # in neither folder: as written
    assert _messages(caplog) == [
        f"data.val_ann datasets/shapes/val.json read from the run's launch folder {launch} "
        "(the checkpoint was trained there)"
    ]
    cfg = checkpoint_config(_state(launch, root=root, **keys), "b.pt", ["data.root=elsewhere"])
    assert cfg.data.options["val_ann"] == "datasets/shapes/val.json"  # relative to that root
    cfg = checkpoint_config(_state(None, root=root, **keys), "best.pt")
    assert cfg.data.options["val_ann"] == "datasets/shapes/val.json"


def test_a_root_in_neither_folder_is_said_in_one_warning(folders, caplog):
    launch, here = folders
    state = _state(launch, root="datasets/gone")
    checkpoint_config(state, "best.pt", say_missing_root=True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"data.root datasets/gone is neither in the working folder ({here}) nor in the "
            f"run's launch folder ({launch}): set data.root to the dataset folder "
            "(detseg-eval --set data.root=PATH)",
        )
    ]
    caplog.clear()
    checkpoint_config(state, "best.pt")  # a reader that may need no data: no line
    checkpoint_config(state, "best.pt", ["data.root=datasets/other"], say_missing_root=True)
    checkpoint_config(_state(None, root="datasets/gone"), "best.pt", say_missing_root=True)
    checkpoint_config(_state(launch), "best.pt", say_missing_root=True)  # found there
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

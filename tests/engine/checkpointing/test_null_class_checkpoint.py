"""A checkpoint whose stored config lists a null class loads, with the class named "None".

Readers that took a null ``data.classes`` entry as ``str(None)`` trained a class named
``"None"``: the checkpoint's ``classes`` say ``"None"`` and its config keeps the null. Such a
checkpoint is the record of what it trained with, so every reader of it (``detseg.load``,
``load_model``, the export's and the evaluation's loading, ``--resume``, ``model.init_from``)
takes it with that name, while the same null in a user's config is refused by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg import load
from detseg.config import ConfigError, load_config
from detseg.convert.init_weights import load_init_weights
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.engine.checkpointing import load_checkpoint, load_model, save_checkpoint
from detseg.engine.checkpointing.resume_state import config_changes
from detseg.engine.checkpointing.rotation import load_resumable
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.export.export_source import load_source

REPO = Path(__file__).resolve().parents[3]
CLASSES = ["None", *SHAPE_CLASSES[1:]]


@pytest.fixture(scope="module")
def shapes_with_none(tmp_path_factory) -> Path:
    """A tiny shapes dataset whose first category is named "None" (what the model learnt)."""
    root = tmp_path_factory.mktemp("none_class") / "shapes"
    generate_shapes(root, num_train=2, num_val=2, size=64, seed=3)
    for split in ("train", "val"):
        path = root / "annotations" / f"instances_{split}.json"
        data = json.loads(path.read_text())
        for category in data["categories"]:
            if category["name"] == SHAPE_CLASSES[0]:
                category["name"] = "None"
        path.write_text(json.dumps(data))
    return root


@pytest.fixture(scope="module")
def checkpoint(shapes_with_none: Path) -> Path:
    """A checkpoint (random weights) whose config says ``classes: [null, square, ...]``."""
    path = shapes_with_none.parent / "best.pt"
    named = ", ".join(["placeholder", *SHAPE_CLASSES[1:]])
    overrides = [*DETECTOR, f"data.root={shapes_with_none}", f"data.classes=[{named}]"]
    write_checkpoint(path, "configs/demo.yaml", overrides, classes=CLASSES)
    state = load_checkpoint(path)
    state["config"]["data"]["classes"][0] = None  # as the config of such a run was stored
    save_checkpoint(path, state)
    return path


def test_the_stored_config_reads_the_null_class_as_none(checkpoint):
    assert load_checkpoint(checkpoint)["config"]["data"]["classes"] == CLASSES
    saved, _ = load_resumable(checkpoint, set_aside_damaged=False)  # what --resume reads
    assert saved["config"]["data"]["classes"] == CLASSES


def test_detseg_load_predicts_with_the_trained_class_names(checkpoint):
    predictor = load(checkpoint, device="cpu")
    assert predictor.classes == CLASSES
    assert predictor.config.data.options["classes"] == CLASSES
    result = predictor.predict(np.zeros((64, 64, 3), np.uint8))
    assert set(result.names) <= set(CLASSES)


def test_load_model_and_the_export_source_load_it(checkpoint):
    _, config, classes = load_model(checkpoint, "cpu")
    assert classes == CLASSES
    assert config["data"]["classes"] == CLASSES
    _, _, exported_classes, _, data = load_source(checkpoint, None, None)
    assert exported_classes == CLASSES
    assert data is not None and data["classes"] == CLASSES


def test_evaluation_reads_the_class_named_none(checkpoint, tmp_path):
    summary = evaluate_checkpoint(checkpoint, out=tmp_path / "eval")
    assert (tmp_path / "eval" / "metrics.json").is_file(), summary


def test_a_resumed_run_with_the_class_named_none_sees_no_class_change(checkpoint):
    """The user's config names the class "None" (as the run trained it): the resume's list of
    changed keys has no ``data.classes``, as it compares with the checkpoint's record."""
    cfg = load_config(
        REPO / "configs" / "demo.yaml",
        [
            *DETECTOR,
            f"data.root={checkpoint.parent / 'shapes'}",
            "data.classes=[None, " + ", ".join(SHAPE_CLASSES[1:]) + "]",
        ],
    )
    assert cfg.data.options["classes"] == CLASSES  # YAML's None is the text "None"
    saved = load_checkpoint(checkpoint)["config"]
    assert not [line for line in config_changes(saved, cfg.to_dict()) if "classes" in line]


def test_init_from_takes_its_weights(checkpoint):
    model, _, _ = load_model(checkpoint, "cpu")
    report = load_init_weights(model, str(checkpoint), classes=CLASSES, log=False)
    assert report.loaded and not report.class_warning()


def test_a_null_class_in_a_users_config_is_still_refused(checkpoint):
    with pytest.raises(ConfigError, match=r"data\.classes: class name 1 is empty"):
        load_config(
            REPO / "configs" / "demo.yaml",
            [*DETECTOR, "data.classes=[null, " + ", ".join(SHAPE_CLASSES[1:]) + "]"],
        )


def test_the_tools_load_it(checkpoint, tmp_path):
    """``tools/export.py`` on the checkpoint, as a user runs it (the sidecar names the class)."""
    export = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "export.py"),
            str(checkpoint),
            "--format",
            "torchscript",
            "--out",
            str(tmp_path / "m.pt"),
            "--no-verify",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert export.returncode == 0, export.stderr
    sidecar = json.loads((tmp_path / "m.pt.json").read_text())
    assert sidecar["classes"] == CLASSES

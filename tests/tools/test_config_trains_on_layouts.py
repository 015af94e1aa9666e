"""Every detection config trains one iteration on the shapes dataset converted to a VOC and a
YOLO layout, with command-line settings only, in this process (``detseg.engine.training.train``).
The table of overrides is ``tests/detection_config_smoke.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from detection_config_smoke import ON_SHAPES, SMOKE, SMOKE_MODEL

from detseg.config import ConfigError, load_config
from detseg.convert.datasets import convert_dataset
from detseg.data.shapes_draw import SHAPE_CLASSES
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.training import train

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/tools/conftest.py


@pytest.fixture(scope="module")
def voc_and_yolo(shapes, tmp_path_factory) -> dict[str, Path]:
    """The shapes train/val splits converted to a VOC and a YOLO layout, and an Ultralytics
    data yaml for the YOLO one."""
    out = tmp_path_factory.mktemp("layouts")
    convert_dataset(shapes, out / "voc", "coco", "voc", splits=["train", "val"], progress=False)
    convert_dataset(shapes, out / "yolo", "coco", "yolo", splits=["train", "val"], progress=False)
    names = (out / "yolo" / "classes.txt").read_text().split()
    data_yaml = out / "shapes_yolo.yaml"
    data_yaml.write_text(
        yaml.safe_dump(
            {"path": "yolo", "train": "images/train", "val": "images/val", "names": names}
        )
    )
    return {"voc": out / "voc", "yolo": data_yaml}


@pytest.mark.parametrize("layout", ["voc", "yolo"])
@pytest.mark.parametrize("config", sorted(ON_SHAPES))
def test_config_trains_on_voc_and_yolo_layouts(config, layout, voc_and_yolo, tmp_path):
    """Every detection config trains on a VOC and a YOLO dataset with command-line settings
    only: ``--set data.format=voc data.root=...`` and ``--data <Ultralytics data yaml>``."""
    name = yaml.safe_load((REPO / config).read_text())["model"]["name"]
    smoke_model = next(v for k, v in SMOKE_MODEL.items() if name.startswith(k))
    model_sets = [s for s in ON_SHAPES[config] if s.startswith("model.")]
    sets = [*model_sets, *SMOKE, *smoke_model]
    data_file = None
    if layout == "voc":
        root = voc_and_yolo["voc"]
        sets += ["data.format=voc", f"data.root={root}", "data.train_split=train"]
        sets += ["data.val_split=val"]
    else:
        data_file = voc_and_yolo["yolo"]
    cfg = load_config(REPO / config, sets, data_file=data_file)
    assert cfg.data.format == layout
    if name.startswith("mask_rcnn"):  # VOC and YOLO boxes have no instance masks
        message = f"model {name} needs instance masks: data.format coco with data.load_masks"
        with pytest.raises(ConfigError, match=message):
            train(cfg, tmp_path)
        return
    result = train(cfg, tmp_path)
    assert result.exit_code == 0
    last = load_checkpoint(tmp_path / "last.pt")
    # VOC without data.classes: the names of its xml files, sorted; YOLO: the yaml's names
    expected = sorted(SHAPE_CLASSES) if layout == "voc" else list(SHAPE_CLASSES)
    assert last["classes"] == expected
    assert result.score_key == ("voc_mAP" if layout == "voc" else "AP")

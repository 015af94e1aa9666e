"""The resolved ``config.yaml`` a run writes (``yaml.safe_dump(cfg.to_dict())``, as
``detseg.engine.training.run_start`` does) loads back to the same config, for every shipped
experiment config, with overrides too."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detseg.config import load_config

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted(
    p
    for p in (REPO / "configs").rglob("*.yaml")
    if "_base_" not in p.parts and "datasets" not in p.parts
)


def _written_and_read(cfg, tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return load_config(path)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_config_loads_back_from_its_resolved_file(path, tmp_path):
    cfg = load_config(path)
    assert _written_and_read(cfg, tmp_path) == cfg


def test_overrides_of_every_kind_survive_the_round_trip(tmp_path):
    cfg = load_config(
        REPO / "configs" / "demo.yaml",
        [
            "data.format=voc",
            "data.root=2007",
            "data.classes=[yes, '1', 'null']",
            "work_dir=001",
            "model.init_from=2024-01-01",
            "model.compile=backbone",
            "model.rpn.nms_thresh=0.6",
            "train.grad_clip=1e1",
            "train.milestones=[2, 3]",
            "train.channels_last=false",
            "eval.crf.iterations=1",
        ],
    )
    assert (cfg.work_dir, cfg.model.init_from, cfg.data.root) == ("001", "2024-01-01", "2007")
    assert _written_and_read(cfg, tmp_path) == cfg

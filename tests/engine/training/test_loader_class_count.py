"""The loaders of a training run hold the labels to the model's class count ``K``.

The run builds its model for ``len(classes)`` of the train split; its loaders check every item's
labels against that ``K`` (``build_loader(num_classes=...)``), not against a count the dataset
reports of its own, so a label above ``K`` stops the run at the item that holds it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.data.base import DetectionDataset
from detseg.data.sample_checks import TargetError
from detseg.data.shapes import generate_shapes
from detseg.engine.training.train_data import build_data

REPO = Path(__file__).resolve().parents[3]


def test_a_label_above_the_models_classes_stops_both_loaders(tmp_path, monkeypatch):
    generate_shapes(tmp_path, num_train=2, num_val=2, size=64, seed=0)
    # a dataset whose own count says more than its classes
    monkeypatch.setattr(DetectionDataset, "num_classes", property(lambda self: 99))
    sets = [f"data.root={tmp_path}", "train.num_workers=0", "data.augmentations=[]"]
    data = build_data(load_config(REPO / "configs/demo.yaml", sets), "detection")
    k = len(data.train_set.classes)
    read = DetectionDataset.__getitem__

    def label_above_k(self, index):
        image, target = read(self, index)
        target["labels"][0] = k + 1
        return image, target

    monkeypatch.setattr(DetectionDataset, "__getitem__", label_above_k)
    above = rf"target\['labels'\] holds {k + 1}, above K = {k} \(the model's classes\)"
    for loader in (data.train_loader, data.val_loader):
        with pytest.raises(TargetError, match=rf"^dataset item \d \(.*\): {above}"):
            next(iter(loader))

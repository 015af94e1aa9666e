"""YOLOv1 predicts from one backbone level: several ``return_layers`` are refused, not
silently reduced to the last one (the others were computed and ignored)."""

import pytest

from detseg.detection.yolo import yolo

TINY = {"backbone": "mobilenet_v3_large", "width_mult": 0.25, "input_size": 64, "head_channels": 8}


def test_several_levels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"return_layers=\['c3', 'c5'\]: YOLOv1 predicts") as info:
        yolo(2, version="v1", return_layers=["c3", "c5"], **TINY)
    assert "\n" not in str(info.value)


def test_one_level_is_used() -> None:
    model = yolo(2, version="v1", return_layers=["c4"], **TINY)
    assert model.in_features == ["c4"]

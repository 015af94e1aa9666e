"""A setting that does not apply to a model's task is refused with what to do, before any file
is written: a score threshold for a segmenter, a mask head (whose masks no graph holds)."""

from __future__ import annotations

import pytest
from torch import nn

from detseg.export import ExportError, export_model
from detseg.models import build_model


class _MaskDetector(nn.Module):
    """Stands for an instance-segmentation detector (Mask R-CNN's ``has_masks``)."""

    task = "detection"
    has_masks = True
    num_classes = 2


def test_a_score_threshold_for_a_segmenter_is_refused(tmp_path):
    unet = build_model({"name": "unet", "base_channels": 4, "depth": 1}, num_classes=2)
    with pytest.raises(ExportError, match=r"^unet: a segmenter's graph .* no score threshold; "):
        export_model(unet, tmp_path / "u.onnx", score_thresh=0.5, name="unet")
    assert not list(tmp_path.iterdir())


def test_a_mask_head_is_refused_with_what_to_use_instead(tmp_path):
    with pytest.raises(ExportError, match=r"not exported; predict its boxes and masks with "):
        export_model(_MaskDetector(), tmp_path / "m.onnx", name="mask_rcnn")
    assert not list(tmp_path.iterdir())

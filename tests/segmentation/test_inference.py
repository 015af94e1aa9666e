"""SegmentationInference: the chain views / scales -> CRF -> argmax used by eval.py and infer.py."""

import pytest
import torch

from detseg.segmentation.crf import LocalCRF
from detseg.segmentation.inference import SegmentationInference
from detseg.segmentation.tta import tta_probabilities


def test_segmentation_inference_chains_views_scales_and_the_crf(asymmetric_segmenter):
    model = asymmetric_segmenter
    images = torch.rand(2, 3, 12, 12, dtype=torch.float64)
    assert SegmentationInference().is_plain
    assert torch.equal(SegmentationInference()(model, images), model.predict(images))
    crf = LocalCRF(iterations=2, color_sigma=40.0)
    inference = SegmentationInference("flips", (1.0, 1.5), crf)
    expected = crf(tta_probabilities(model, images, "flips", (1.0, 1.5)), images).argmax(1)
    assert torch.equal(inference(model, images), expected)
    assert inference.describe() == "flips TTA x scales [1.0, 1.5] + CRF (2 iterations)"
    without_crf = SegmentationInference("flips", (1.0, 1.5))(model, images)
    assert not torch.equal(without_crf, expected)  # the CRF changed some labels
    with pytest.raises(ValueError, match="unknown TTA mode"):
        SegmentationInference("rotate")


def test_from_config_reads_the_eval_section():
    from detseg.config.schema import CRFConfig, EvalConfig

    plain = SegmentationInference.from_config(EvalConfig())
    assert plain.is_plain and plain.crf is None  # defaults: one pass
    section = EvalConfig(tta="dihedral", tta_scales=[1.0, 1.25], crf=CRFConfig(iterations=3))
    inference = SegmentationInference.from_config(section)
    assert inference.tta == "dihedral" and inference.scales == (1.0, 1.25)
    assert inference.crf == LocalCRF(iterations=3)
    assert SegmentationInference.from_config(section, tta="hflip").tta == "hflip"  # --tta


@pytest.mark.parametrize(
    ("tta", "scales", "iterations", "line"),
    [
        ("none", (1.0,), 0, "one pass"),
        ("none", (1.0, 1.25), 0, "scales [1.0, 1.25]"),
        ("none", (1.0, 1.25), 2, "scales [1.0, 1.25] + CRF (2 iterations)"),
        ("none", (1.0,), 2, "CRF (2 iterations)"),
        ("hflip", (1.0,), 0, "hflip TTA x scales [1.0]"),
        ("dihedral", (1.0, 1.25), 5, "dihedral TTA x scales [1.0, 1.25] + CRF (5 iterations)"),
    ],
)
def test_describe_names_only_the_steps_that_run(tta, scales, iterations, line):
    crf = LocalCRF(iterations=iterations) if iterations else None
    assert SegmentationInference(tta, scales, crf).describe() == line

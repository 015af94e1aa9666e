"""torchvision state dicts of every twin: identified by their tensors, converted from a file."""

from __future__ import annotations

import pytest
import torch
from torchvision import models as tv_models

from detseg.convert.checkpoint_file import torchvision_file_checkpoint
from detseg.convert.torchvision_archs import (
    _WITH_AUX_HEAD,
    TORCHVISION_ARCHS,
    build_torchvision,
    convert_torchvision_state,
)
from detseg.engine.checkpointing import load_model, save_checkpoint

#: builders whose tensors are those of an earlier builder of TORCHVISION_ARCHS (other settings)
SAME_TENSORS = {"fasterrcnn_mobilenet_v3_large_320_fpn": "fasterrcnn_mobilenet_v3_large_fpn"}


@pytest.mark.parametrize("arch", list(TORCHVISION_ARCHS))
def test_every_twin_is_identified_with_its_class_count(arch):
    aux = arch in _WITH_AUX_HEAD
    with torch.device("meta"):
        state = build_torchvision(arch, num_classes=7, aux_loss=aux).state_dict()
    from detseg.convert.torchvision_archs import _identify

    assert _identify(state) == (SAME_TENSORS.get(arch, arch), 7, aux)


@pytest.mark.parametrize(
    "arch",
    ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "ssdlite320_mobilenet_v3_large"],
)
def test_a_file_converts_to_a_checkpoint_with_equal_outputs(tmp_path, arch):
    torch.manual_seed(0)
    tv_model = build_torchvision(arch, num_classes=4, aux_loss=arch in _WITH_AUX_HEAD).eval()
    state = {k: v for k, v in tv_model.state_dict().items() if "num_batches_tracked" not in k}
    torch.save(state, tmp_path / "tv.pth")  # as torchvision's published files: no BN counters
    checkpoint = torchvision_file_checkpoint(None, tmp_path / "tv.pth")
    assert checkpoint["classes"] == ["class_1", "class_2", "class_3"]
    family = "segmentation" if "ssd" not in arch else "detection"
    assert checkpoint["meta"]["source"] == f"torchvision.models.{family}.{arch}"
    save_checkpoint(tmp_path / "converted.pt", checkpoint)
    model, _, _ = load_model(tmp_path / "converted.pt", "cpu")
    image = torch.rand(3, 96, 128)
    with torch.no_grad():
        if family == "detection":
            tv_model.score_thresh = model.score_thresh = 0.0
            want, have = tv_model([image])[0], model.predict([image])[0]
            torch.testing.assert_close(have["boxes"], want["boxes"], atol=1e-4, rtol=0)
            assert torch.equal(have["labels"], want["labels"])
        else:
            mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
            want = tv_model(((image - mean) / std)[None])["out"]
            torch.testing.assert_close(model(image[None]), want, atol=1e-4, rtol=1e-4)


def test_published_class_count_gets_torchvision_names():
    with torch.device("meta"):
        tv_model = build_torchvision("fcn_resnet50", num_classes=21, aux_loss=True)
    meta = tv_models.get_model_weights("fcn_resnet50").DEFAULT.meta
    assert meta["categories"][1] == "aeroplane"
    with pytest.raises(ValueError, match="unknown torchvision architecture 'resnet50'"):
        convert_torchvision_state(tv_model.state_dict(), "resnet50")
    with pytest.raises(ValueError, match="match no torchvision model"):
        convert_torchvision_state({"x.weight": torch.zeros(1)})

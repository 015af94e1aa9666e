"""A torchvision file that is not what it should be gets one line naming the file and what to
give: tensors of another builder (``tools/convert_torchvision.py``), a file that is not a
checkpoint (``convert_torchvision.py``, ``model.init_from``, backbone weights). Never torch's
list of every tensor, nor its advice to load with ``weights_only=False``."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torchvision.models import detection as tv_detection

from detseg.backbones import ResNetBackbone
from detseg.convert.init_weights import init_source_state
from detseg.convert.torchvision_archs import convert_torchvision_state, read_state_dict
from detseg.engine.checkpointing import CheckpointError

#: fasterrcnn_mobilenet_v3_large_320_fpn has the tensors of the 800 px builder (listed first).
SAME_TENSORS_AS = "fasterrcnn_mobilenet_v3_large_fpn"


@pytest.fixture(scope="module")
def mobilenet_file(tmp_path_factory):
    """The state dict of a random-weight fasterrcnn_mobilenet_v3_large_320_fpn, saved."""
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None
    )
    path = tmp_path_factory.mktemp("tv") / "tv.pth"
    torch.save(tv_model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def not_checkpoints(tmp_path_factory):
    """Files that are not checkpoints: name -> (path, what the message says about it)."""
    folder = tmp_path_factory.mktemp("fake")
    (folder / "fake.pt").write_text("model: faster_rcnn\n")
    (folder / "random.pt").write_bytes(bytes(range(256)) * 8)  # unpickler: unsupported operand
    # ModelProto: ir_version 8, producer_name "pytorch", producer_version "2.4", graph ...
    (folder / "model.onnx").write_bytes(b"\x08\x08\x12\x07pytorch\x1a\x032.4:\xf2\x01\x0a\x43")
    torch.save(torch.nn.Linear(2, 2), folder / "module.pt")  # a pickled module, not tensors
    return {
        "fake.pt": (folder / "fake.pt", "is not a checkpoint (a text file?)"),
        "random.pt": (folder / "random.pt", "is not a checkpoint (Unsupported operand"),
        "model.onnx": (folder / "model.onnx", "is an ONNX export, not a checkpoint"),
        "module.pt": (
            folder / "module.pt",
            "is not a checkpoint (it holds a whole pickled model (torch.nn.modules.linear.Linear)",
        ),
    }


def _assert_one_clean_line(message: str) -> None:
    assert "\n" not in message and len(message) < 400, message
    assert "weights_only" not in message and "Weights only" not in message, message


def test_another_builders_file_is_one_line_naming_the_builder_it_fits(mobilenet_file):
    with pytest.raises(ValueError) as info:
        convert_torchvision_state(
            read_state_dict(mobilenet_file), "retinanet_resnet50_fpn", source=str(mobilenet_file)
        )
    message = str(info.value)
    assert message.startswith(f"{mobilenet_file} does not fit retinanet_resnet50_fpn (")
    assert "tensors differ: " in message and " in the file, " in message
    assert message.endswith(
        f"give the builder it was saved from (its tensors fit {SAME_TENSORS_AS}), or auto"
    )
    _assert_one_clean_line(message)


def test_convert_tool_exits_2_with_one_line(tmp_path, run_tool, mobilenet_file, not_checkpoints):
    out = tmp_path / "x.pt"
    result = run_tool("convert_torchvision.py", "retinanet_resnet50_fpn", mobilenet_file, out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        f"convert_torchvision: error: {mobilenet_file} does not fit retinanet_resnet50_fpn ("
    )
    path, said = not_checkpoints["random.pt"]
    result = run_tool("convert_torchvision.py", "auto", path, out)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"convert_torchvision: error: {path} {said} 0); give a torchvision state-dict file (.pth)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("name", ["fake.pt", "random.pt", "model.onnx", "module.pt"])
def test_every_reader_says_not_a_checkpoint_the_same_way(name, not_checkpoints, tmp_path):
    path, said = not_checkpoints[name]
    with pytest.raises(ValueError) as info:  # tools/convert_torchvision.py
        read_state_dict(path)
    assert str(info.value).startswith(f"{path} {said}")
    assert str(info.value).endswith("; give a torchvision state-dict file (.pth)")
    _assert_one_clean_line(str(info.value))
    with pytest.raises(ValueError) as info:  # model.init_from
        init_source_state(str(path))
    assert str(info.value).startswith(f"model.init_from: {path} {said}")
    assert str(info.value).endswith(
        "; give a detseg checkpoint, a torchvision state-dict file or torchvision:<builder name>"
    )
    _assert_one_clean_line(str(info.value))
    with pytest.raises(CheckpointError) as info:  # model.backbone_weights
        ResNetBackbone("resnet18", weights=path)
    assert str(info.value).startswith(f"{path} {said}")
    assert str(info.value).endswith("; give a torchvision resnet18 state-dict file")
    _assert_one_clean_line(str(info.value))


def test_backbone_weights_of_another_depth_are_one_line(tmp_path):
    path = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(ValueError) as info:
        ResNetBackbone("resnet34", weights=path)
    assert str(info.value) == (
        f"{path} does not hold resnet34 weights of this shape (80 tensors differ: 80 missing, "
        "e.g. missing layer1.2.conv1.weight)"
    )
    ResNetBackbone("resnet18", weights=path)  # frozen BatchNorm: the file's counters are dropped


def test_the_right_names_with_other_shapes_say_so(mobilenet_file):
    state = read_state_dict(mobilenet_file)
    key = "backbone.fpn.inner_blocks.0.0.weight"
    state[key] = torch.zeros(256, 80, 1, 1)  # as from another width
    with pytest.raises(ValueError) as info:
        convert_torchvision_state(state, source="tv.pth")
    assert str(info.value) == (
        f"tv.pth does not fit {SAME_TENSORS_AS} (1 tensor differs: 1 of another shape, e.g. "
        f"{key} [256, 80, 1, 1] in the file, [256, 160, 1, 1] here); it holds "
        f"{SAME_TENSORS_AS}'s tensor names with other shapes (other settings?)"
    )

"""``tools/convert_torchvision.py auto``: the builder found from the tensors is named.

The MobileNetV3 Faster R-CNNs of 800 px and 320 px have the same tensors, so ``auto`` converts a
320 px file with the 800 px settings; the output says so, and how to get the 320 px ones. The
tool runs in this process (``runpy``) with the conversion replaced by its result.
"""

from __future__ import annotations

import pytest
import torch
from tool_in_process import run_tool_here

from detseg.convert import checkpoint_file
from detseg.convert.torchvision_archs import SAME_TENSORS, build_torchvision


def convert(capsys, *args: object) -> tuple[int, list[str]]:
    """``(exit code, stdout lines)`` of ``convert_torchvision.py ARGS`` run here."""
    code = run_tool_here("convert_torchvision.py", *args)
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("arch", ["auto", "fasterrcnn_mobilenet_v3_large_fpn"])
def test_auto_names_the_builder_and_the_one_with_the_same_tensors(
    arch, tmp_path, capsys, monkeypatch
):
    def converted(found, path, *args, **kwargs):
        builder = found or "fasterrcnn_mobilenet_v3_large_fpn"
        meta = {"source": f"torchvision.models.detection.{builder}"}
        return {"model": {}, "config": {"model": {"name": "faster_rcnn"}}, "classes": ["a"],
                "meta": meta}  # fmt: skip

    monkeypatch.setattr(checkpoint_file, "torchvision_file_checkpoint", converted)
    (tmp_path / "tv.pth").write_bytes(b"")
    out = tmp_path / "converted.pt"
    code, lines = convert(capsys, arch, tmp_path / "tv.pth", out)
    assert code == 0
    assert lines[0] == f"wrote {out} (faster_rcnn, 1 classes)"
    if arch != "auto":  # a named builder needs no line
        assert lines[1:] == []
        return
    assert lines[1].startswith("auto: the tensors fit fasterrcnn_mobilenet_v3_large_fpn,")
    assert "fasterrcnn_mobilenet_v3_large_320_fpn has the same tensors" in lines[1]


def test_same_tensors_lists_builders_whose_tensors_are_equal():
    for arch, others in SAME_TENSORS.items():
        with torch.device("meta"):
            reference = build_torchvision(arch, 91).state_dict()
            for other in others:
                state = build_torchvision(other, 91).state_dict()
                assert {k: v.shape for k, v in state.items()} == {
                    k: v.shape for k, v in reference.items()
                }

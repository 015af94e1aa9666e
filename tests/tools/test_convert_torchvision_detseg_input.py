"""``convert_torchvision.py`` given a file that is already a detseg checkpoint says so, and what
to do with it, instead of listing the torchvision models its tensors do not match."""

from __future__ import annotations

from random_checkpoints import DETECTOR, write_checkpoint


def test_a_detseg_checkpoint_is_said_to_need_no_conversion(tmp_path, run_tool):
    checkpoint = write_checkpoint(tmp_path / "best.pt", "configs/demo.yaml", DETECTOR)
    result = run_tool("convert_torchvision.py", "auto", checkpoint, tmp_path / "out.pt")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"convert_torchvision: error: {checkpoint} is already a detseg checkpoint (it has a "
        "config and classes): give it as it is to inference, evaluation or export, or name "
        "it in model.init_from to fine-tune from it"
    )
    assert not (tmp_path / "out.pt").exists()

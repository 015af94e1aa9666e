"""``tools/convert_torchvision.py --num-classes``: a count below 2 is refused by the flag, and a
count that differs from the file's says which one to give."""

from __future__ import annotations

import pytest
import torch
from tool_in_process import run_tool_here
from torchvision.models import segmentation as tv_segmentation

from detseg.convert.checkpoint_file import torchvision_file_checkpoint


@pytest.mark.parametrize("count", ["0", "-3", "1"])
def test_a_count_below_two_is_refused_before_reading_the_file(count, tmp_path, capsys):
    args = ["auto", tmp_path / "nope.pth", tmp_path / "o.pt", "--num-classes", count]
    assert run_tool_here("convert_torchvision.py", *args) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(
        f"argument --num-classes: must be >= 2 (background included, so 2 = one class), got {count}"
    )  # noqa: E501


def test_a_count_that_differs_from_the_file_says_which_to_give(tmp_path):
    model = tv_segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=5
    )
    torch.save(model.state_dict(), tmp_path / "lraspp.pth")
    with pytest.raises(ValueError, match="class layers hold 5 classes") as error:
        torchvision_file_checkpoint(None, tmp_path / "lraspp.pth", num_classes=3)
    assert "give --num-classes 5, or leave it out" in str(error.value)

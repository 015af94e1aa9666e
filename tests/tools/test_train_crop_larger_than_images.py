"""``tools/train.py`` with a crop larger than the images: one line naming the image, the config
item and the fix, exit code 2, no traceback, whether the images load in the main process or in
a loader worker (whose error the main process re-raises with the worker's traceback)."""

from __future__ import annotations

import pytest
from tiny_detector import tiny_faster_rcnn

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/tools/conftest.py


@pytest.mark.parametrize("num_workers", [0, 1])
def test_crop_larger_than_the_images_is_one_line(shapes, tmp_path, run_tool, num_workers):
    sets = [
        *tiny_faster_rcnn(size=64),
        f"data.root={shapes}",
        "data.augmentations=[{name: HorizontalFlip, p: 0.5}, {name: RandomCrop, height: 512,"
        " width: 512}]",
        f"train.num_workers={num_workers}",
        "train.batch_size=1",
        "train.max_iters=1",
        "device=cpu",
    ]
    result = run_tool("train.py", "configs/demo.yaml", "--work-dir", tmp_path, "--set", *sets)
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert not any("Traceback" in line for line in lines), result.stderr
    assert lines[-1].startswith(f"train: error: {shapes}/train/images/"), lines[-1]
    assert (
        ": augmentations[1] (RandomCrop) cannot run on this 128 x 128 (W x H) image: "
        in (lines[-1])
    )
    assert lines[-1].endswith(
        "add PadIfNeeded(min_height=512, min_width=512) before it (or set pad_if_needed: true "
        "on it), or use RandomSizedCrop / RandomResizedCrop or a smaller crop"
    )

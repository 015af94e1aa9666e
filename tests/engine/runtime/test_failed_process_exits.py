"""A process that an unexpected error ends exits, even while its loaders' workers (which
ignore SIGTERM) are alive: a training process that hung there instead would hold its peers
of a distributed run in their next collective, and the launcher would wait for it for ever.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    from detseg.data.loader import build_loader
    from detseg.data.train_loader import build_train_loader


    class Items:
        image_ids = [10, 11, 12, 13]

        def __len__(self):
            return 4

        def __getitem__(self, index):
            return torch.zeros(3, 4, 4), {"image_id": self.image_ids[index]}


    if sys.argv[1] == "train":
        loader = build_train_loader(Items(), batch_size=2, num_workers=1, seed=0)
    else:
        loader = build_loader(Items(), batch_size=2, shuffle=False, num_workers=1)
    batches = iter(loader)
    next(batches)  # the persistent worker is running, and the error's traceback holds it
    raise RuntimeError("an unexpected error")
    """
)


@pytest.mark.parametrize("which", ["train", "eval"])
def test_an_uncaught_error_ends_the_process_despite_live_loader_workers(tmp_path, which):
    script = tmp_path / "fail.py"
    script.write_text(SCRIPT)
    try:
        result = subprocess.run(
            [sys.executable, str(script), which],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=30,
        )
    except subprocess.TimeoutExpired as err:
        raise AssertionError("the process did not exit after its error") from err
    assert result.returncode == 1
    assert "RuntimeError: an unexpected error" in result.stderr

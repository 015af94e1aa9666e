"""With ``train.checkpoint_every``, ``last.pt`` is written once per iteration: on an epoch's
last step the periodic write is left to the epoch's end, whose copy holds the evaluation's
metrics (``best.pt`` selection on resume reads them), so that each of the
``train.keep_checkpoints`` rotated copies holds another iteration."""

from __future__ import annotations

from pathlib import Path

import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint

REPO = Path(__file__).resolve().parents[3]


def test_each_rotated_last_pt_holds_another_iteration(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=4, num_val=2, size=64, seed=1)
    overrides = [
        *tiny_faster_rcnn(size=64),
        *SMALL_HEADS,
        "train.epochs=2",
        "train.batch_size=2",  # 2 steps per epoch: iterations 1, 2 (epoch end), 3, 4 (end)
        "train.eval_every=1",
        "train.checkpoint_every=1",
        "train.keep_checkpoints=8",  # room for every write
        "train.num_workers=0",
        "train.tensorboard=false",
        "eval.batch_size=2",
        "eval.val_loss=false",
        "device=cpu",
        f"data.root={root}",
    ]
    cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train(cfg, tmp_path / "run")
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0
    files = sorted((tmp_path / "run").glob("last*.pt"))
    runs = [load_checkpoint(path)["meta"]["run"] for path in files]
    iterations = sorted(run["iteration"] for run in runs)
    assert iterations == [1, 2, 3, 4]
    # the copies of the epochs' last steps are the epoch ends' (evaluated, epoch closed)
    ends = {run["iteration"]: run for run in runs if run["iteration"] in (2, 4)}
    assert (ends[2]["epoch"], ends[4]["epoch"]) == (1, 2)
    assert all(run["epoch_batches"] == 0 for run in ends.values())

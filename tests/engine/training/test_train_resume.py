"""No lost work: an interrupted run resumes bit for bit; a damaged last.pt falls back.

Reference: a tiny Faster R-CNN trains 2 epochs of 3 steps (6 batches of 2 images, 2 batches
accumulated per step, EMA on) uninterrupted, in this process with ``num_workers=0``.
The same run in a subprocess with ``num_workers=1`` gets SIGTERM during its 5th step (a small
driver calls ``detseg.engine.train`` with an ``after_step`` hook that sends it to the whole
process group after step 4, the loader worker included, as a scheduler does): it finishes that
step (the middle of epoch 1), writes ``last.pt`` and exits 143.
Resumed (here, ``num_workers=0``), it must end with exactly the reference's weights, EMA
weights and optimizer state; so must a resume from the older ``last.1.pt`` after ``last.pt``
is truncated (which is moved aside as ``last.pt.corrupt``, never rotated over ``last.1.pt``).
The state it stopped in must equal the reference's own mid-epoch checkpoint of iteration 5
(``train.checkpoint_every=5``). A new run (no ``--resume``) in the reference's folder keeps
its ``best.pt`` as ``best.1.pt`` and moves its ``last.pt`` into ``previous_last.1/``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import WorkDirError, disk_check, load_checkpoint
from detseg.engine.records import read_metrics

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=96, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=2",
    "train.batch_size=2",
    "eval.val_loss=true",  # demo.yaml turns it off to save time ...
    "train.eval_every=1",  # ... and evaluates only after its last epoch
    "train.accumulate=2",
    "train.ema=true",
    "train.ema_warmup=3",
    "train.log_every=1",
    "train.warmup_iters=2",
    "eval.batch_size=2",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("resume_shapes")
    generate_shapes(root, num_train=12, num_val=4, size=96, seed=1)
    return root


@pytest.fixture(scope="module")
def train_main():
    """``detseg.engine.train`` on configs/demo.yaml with the tiny overrides, on one thread.

    Called as ``train_main(work_dir, shapes, *extra_overrides, resume=False) -> exit code``.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def run(work_dir: Path, shapes: Path, *extra: str, resume: bool = False) -> int:
        cfg = load_config(REPO / "configs" / "demo.yaml", _overrides(shapes, *extra))
        return train(cfg, work_dir, resume=resume).exit_code

    yield run
    torch.set_num_threads(threads)


def _overrides(shapes: Path, *extra: str) -> list[str]:
    return [*TINY, f"data.root={shapes}", *extra]


@pytest.fixture(scope="module")
def reference(shapes, train_main, tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("uninterrupted")
    # checkpoint_every=5: a mid-epoch last.pt at iteration 5 (kept as last.1.pt at the end)
    assert train_main(work_dir, shapes, "train.num_workers=0", "train.checkpoint_every=5") == 0
    return work_dir


#: ``python -c`` driver: train configs/demo.yaml (argv: work dir, then ``--set`` overrides) and
#: send SIGTERM to the whole process group from the ``after_step`` hook once 4 steps are done.
_SIGTERM_AFTER_STEP_4 = """
import logging, os, signal, sys
from detseg.config import load_config
from detseg.engine import train

def sigterm_after_step_4(run_state):
    if run_state.iteration == 4:
        os.killpg(os.getpgrp(), signal.SIGTERM)

logging.basicConfig(level=logging.WARNING)
cfg = load_config("configs/demo.yaml", sys.argv[2:])
sys.exit(train(cfg, sys.argv[1], after_step=sigterm_after_step_4).exit_code)
"""


@pytest.fixture(scope="module")
def interrupted(shapes, tmp_path_factory) -> Path:
    """The run stopped by SIGTERM during its 5th step, in a subprocess with a loader worker."""
    work_dir = tmp_path_factory.mktemp("interrupted")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    overrides = _overrides(shapes, "train.num_workers=1", "train.tensorboard=false")
    result = subprocess.run(
        [sys.executable, "-c", _SIGTERM_AFTER_STEP_4, str(work_dir), *overrides],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        start_new_session=True,  # its own process group: the signal stays inside it
    )
    assert result.returncode == 143, f"{result.stdout}\n{result.stderr}"
    assert "SIGTERM received" in result.stderr
    return work_dir


def _assert_same_final_state(reference: Path, resumed: Path) -> None:
    expected, got = load_checkpoint(reference / "last.pt"), load_checkpoint(resumed / "last.pt")
    assert got["meta"]["iteration"] == expected["meta"]["iteration"] == 6
    for key, value in expected["model"].items():
        assert torch.equal(value, got["model"][key]), key
    for key, value in expected["ema"]["model"].items():
        assert torch.equal(value, got["ema"]["model"][key]), f"ema {key}"
    assert got["ema"]["updates"] == expected["ema"]["updates"] == 6
    for index, state in expected["optimizer"]["state"].items():
        for name, value in state.items():
            assert torch.equal(value, got["optimizer"]["state"][index][name]), (index, name)


def test_interrupt_writes_the_position_inside_the_epoch(interrupted):
    last = load_checkpoint(interrupted / "last.pt")
    run = last["meta"]["run"]
    assert (run["epoch"], run["epoch_batches"], run["iteration"]) == (1, 4, 5)
    assert last["ema"]["updates"] == 5
    older = load_checkpoint(interrupted / "last.1.pt")["meta"]["run"]  # end of epoch 0
    assert (older["epoch"], older["epoch_batches"], older["iteration"]) == (1, 0, 3)


def test_the_interrupted_state_equals_the_periodic_checkpoint_of_the_reference(
    interrupted, reference
):
    periodic = load_checkpoint(reference / "last.1.pt")  # checkpoint_every=5, iteration 5
    stopped = load_checkpoint(interrupted / "last.pt")
    assert periodic["meta"]["run"] == stopped["meta"]["run"]
    for key, value in periodic["model"].items():
        assert torch.equal(value, stopped["model"][key]), key
    for key, value in periodic["ema"]["model"].items():
        assert torch.equal(value, stopped["ema"]["model"][key]), f"ema {key}"


def test_resume_gives_the_weights_of_the_uninterrupted_run(
    interrupted, reference, shapes, train_main, tmp_path
):
    work_dir = tmp_path / "resumed"
    shutil.copytree(interrupted, work_dir)
    assert train_main(work_dir, shapes, "train.num_workers=0", resume=True) == 0
    _assert_same_final_state(reference, work_dir)
    train = [r for r in read_metrics(work_dir / "metrics.jsonl") if r["type"] == "train"]
    assert [r["iteration"] for r in train] == [0, 1, 2, 3, 4, 5]  # nothing redone, none lost


def test_damaged_last_pt_falls_back_to_the_older_copy(
    interrupted, reference, shapes, train_main, tmp_path, caplog
):
    work_dir = tmp_path / "damaged"
    shutil.copytree(interrupted, work_dir)
    data = (work_dir / "last.pt").read_bytes()
    (work_dir / "last.pt").write_bytes(data[: len(data) // 2])  # as a torn write would leave it
    with caplog.at_level(logging.WARNING):
        assert train_main(work_dir, shapes, "train.num_workers=0", resume=True) == 0
    (told,) = [
        r.getMessage() for r in caplog.records if str(work_dir / "last.pt ") in r.getMessage()
    ]
    assert "corrupt" in told and "resuming from the older copy last.1.pt" in told
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The older copy is an exact state too (end of epoch 0): the result is still bit-equal.
    _assert_same_final_state(reference, work_dir)
    # The damaged file was moved aside, not rotated over the good copy the run resumed from.
    assert (work_dir / "last.pt.corrupt").read_bytes() == data[: len(data) // 2]
    assert any("last.pt.corrupt" in r.getMessage() for r in caplog.records)
    assert load_checkpoint(work_dir / "last.1.pt")["meta"]["iteration"] == 3


def test_a_new_run_in_a_used_work_dir_keeps_the_previous_best_pt_and_last_pt(
    reference, shapes, train_main, tmp_path, caplog
):
    work_dir = tmp_path / "used"
    shutil.copytree(reference, work_dir)
    previous_best, previous_last = (work_dir / name for name in ("best.pt", "last.pt"))
    best_bytes, last_bytes = previous_best.read_bytes(), previous_last.read_bytes()
    new_run = ("train.num_workers=0", "train.epochs=1", "train.max_iters=1")
    with caplog.at_level(logging.INFO):
        assert train_main(work_dir, shapes, *new_run, "train.tensorboard=false") == 0
    assert (work_dir / "best.1.pt").read_bytes() == best_bytes  # kept, as last.pt is
    # the previous last.pt (and last.1.pt) moved where no --resume of the new run falls back to
    assert (work_dir / "previous_last.1" / "last.pt").read_bytes() == last_bytes
    assert not (work_dir / "last.1.pt").exists()
    assert load_checkpoint(work_dir / "best.pt")["meta"]["iteration"] == 1  # the new run's
    kept = [r.getMessage() for r in caplog.records if "kept as best.1.pt" in r.getMessage()]
    assert kept == [f"a previous run's best.pt in {work_dir} is kept as best.1.pt"]


def test_reference_run_records(reference):
    records = read_metrics(reference / "metrics.jsonl")
    val = [r for r in records if r["type"] == "val"]
    val_ema = [r for r in records if r["type"] == "val_ema"]
    assert [r["iteration"] for r in val] == [r["iteration"] for r in val_ema] == [3, 6]
    assert all(r["loss"] > 0 and "loss_roi_cls" in r for r in val)  # validation loss
    assert load_checkpoint(reference / "best.pt")["meta"]["weights"] == "ema"
    assert list((reference / "tb").glob("events.out.tfevents.*"))
    assert (reference / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_full_disk_is_reported_before_training(shapes, train_main, tmp_path, monkeypatch):
    class Usage:
        free = 2**20

    monkeypatch.setattr(disk_check.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(WorkDirError, match="not enough free space"):
        train_main(tmp_path, shapes, "train.num_workers=0")
    assert not (tmp_path / "metrics.jsonl").exists() and not (tmp_path / "last.pt").exists()


def test_resuming_a_finished_run_says_there_is_nothing_to_train(
    reference, shapes, train_main, tmp_path, caplog
):
    """A resumed run at its limit already trains no step, and says which limit and what to
    raise (it used to finish silently with 0 iterations)."""
    shutil.copytree(reference, tmp_path / "run")
    with caplog.at_level(logging.WARNING):
        assert train_main(tmp_path / "run", shapes, "train.num_workers=0", resume=True) == 0
        assert train_main(tmp_path / "run", shapes, "train.max_iters=4", resume=True) == 0
    said = [r.getMessage() for r in caplog.records if "nothing to train" in r.getMessage()]
    assert said == [
        "nothing to train: 2 epochs already reach train.epochs=2; raise train.epochs "
        "and resume the run to train further",
        "nothing to train: iteration 6 already reaches train.max_iters=4 and 2 epochs already "
        "reach train.epochs=2; raise train.max_iters and train.epochs and resume the run to "
        "train further",
    ]

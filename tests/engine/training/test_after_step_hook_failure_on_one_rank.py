"""The run's ``after_step`` hook (user code) raising on one process of a distributed run fails
every process with the same one line, naming the hook's error (type and message) and the
process, at the next step's stop agreement (or at the epoch's end after the last step): the
others must not go on to wait in the next step's collectives for a process that has stopped
(gloo's timeout: many minutes). No periodic ``last.pt`` is written after the failed step, and
the bookkeeping of a step stays one all-reduce with a hook. On one process the hook's own
exception is raised at once."""

from __future__ import annotations

import textwrap

import pytest
from step_write_run import Square, make_run, train
from two_processes import run_two_processes

from detseg.engine.runtime.distributed import DistInfo

_WORKER = textwrap.dedent(
    """
    import datetime
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, "tests")  # the helpers; the workers run from the checkout
    import torch.distributed as torch_dist
    from step_write_run import make_run, record_collectives, train_counting_agreements

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training import epoch_training

    calls = record_collectives()

    saves = []  # the iterations of the periodic last.pt (train.checkpoint_every=1; the epoch
    # loop, not run here, writes the one of the epoch's last step)
    epoch_training.save_last_checked = lambda run: saves.append(run.state.iteration)

    # a short timeout: a process left waiting for a stopped one fails the test quickly
    torch_dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=20))
    dist = DistInfo(rank=torch_dist.get_rank(), world_size=2)
    folder = Path(sys.argv[0]).parent

    def failing(rank, iteration, error):
        def hook(state):
            if dist.rank == rank and state.iteration == iteration:
                raise error
        return hook

    HOOKS = {
        "clean": failing(-1, 0, None),
        "bug": failing(1, 2, KeyError("score")),  # after step 1, on rank 1
        "user": failing(1, 2, ValueError("bad\\nvalue")),  # a user error type, on two lines
        "last": failing(0, 4, RuntimeError("at the end")),  # after the epoch's last step
    }
    for case, hook in HOOKS.items():
        run = make_run(folder / case, dist)
        run.cfg.train.checkpoint_every = 1
        run.after_step = hook
        saves.clear()
        try:
            agreements = train_counting_agreements(run, calls, epoch_training.end_of_step)
            print(case, run.state.iteration, saves, "none", agreements)
        except Exception as err:
            line = " ".join(str(err).split())
            print(case, run.state.iteration, saves, type(err).__name__, line)
        run.records.close()
    torch_dist.destroy_process_group()
    sys.stdout.flush()  # (the interpreter's teardown of the runs' DDP wrappers is skipped)
    os._exit(0)
    """
)


def test_a_failed_hook_of_one_process_fails_every_process_with_one_line(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    lines = [out.strip().splitlines() for out in outputs]
    assert lines[0] == lines[1]
    clean, bug, user, last = lines[0]
    # no failure: the hook adds no collective to a step's bookkeeping
    assert clean == "clean 4 [1, 2, 3] none " + str([["all_reduce"]] * 4)
    # raised after step 1 (iteration 2): shared at step 2's agreement, before its last.pt
    hook = "AfterStepError process 1 of 2: the after_step hook raised"
    assert bug == f"bug 3 [1, 2] {hook} KeyError: 'score'"
    assert user == f"user 3 [1, 2] {hook} ValueError: bad value"
    # raised after the last step: shared at the epoch's end
    assert last == (
        "last 4 [1, 2, 3] AfterStepError process 0 of 2: the after_step hook raised "
        "RuntimeError: at the end"
    )


def test_one_process_raises_the_hooks_own_error_at_once(tmp_path):
    run = make_run(tmp_path, DistInfo())
    error = KeyError("score")

    def hook(state):
        if state.iteration == 2:
            raise error

    run.after_step = hook
    with pytest.raises(KeyError) as raised:
        train(run, Square())
    run.records.close()
    assert raised.value is error
    assert run.state.iteration == 2  # no later step ran

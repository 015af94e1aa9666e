"""A skipped non-finite step leaves weights and buffers as they were; no checkpoint is written
from a model that holds NaN or infinity."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from fake_batches import FakeBatch, train_on_cpu
from torch import nn

from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import (
    RunState,
    StepSettings,
    epoch_loop,
    finite_checks,
)
from detseg.engine.training.nonfinite_losses import BufferSnapshot, NonFiniteLossError


class ConvBN(nn.Module):
    """conv -> BatchNorm; the loss pulls the output's mean towards 1 (NaN for a NaN image)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.bn = nn.BatchNorm2d(4)

    def losses(self, images, targets):
        out = self.bn(self.conv(torch.stack(images)))
        return {"loss": (out.mean() - 1.0) ** 2 + self.conv.weight.sum() ** 2}


def _batch(value: float) -> FakeBatch:
    return FakeBatch([torch.full((3, 4, 4), value), torch.rand(3, 4, 4)])


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _train(model, loader, accumulate=1):
    seen: list[dict[str, torch.Tensor]] = []
    stats = train_on_cpu(
        model,
        loader,
        settings=StepSettings(on_nonfinite="skip", accumulate=accumulate),
        after_step=lambda info: seen.append(_state(model)) and False,
    )
    return stats, seen


def test_a_skipped_step_leaves_weights_and_buffers_as_before():
    torch.manual_seed(0)
    model = ConvBN()
    stats, seen = _train(model, [_batch(0.5), _batch(float("nan")), _batch(0.2)])
    assert stats.skipped_steps == 1 and stats.iterations == 3
    after_good, after_skip = seen[0], seen[1]
    for name, value in after_skip.items():  # bn.running_mean/var, num_batches_tracked too
        assert torch.equal(value, after_good[name]), name
        assert torch.isfinite(value.float()).all(), name
    assert int(model.bn.num_batches_tracked) == 2  # the two good forwards only
    assert all(torch.isfinite(v.float()).all() for v in model.state_dict().values())


def test_a_dropped_group_undoes_the_forward_of_its_good_batches_too():
    torch.manual_seed(0)
    model = ConvBN()
    before = _state(model)
    stats, seen = _train(model, [_batch(0.5), _batch(float("nan"))], accumulate=2)
    assert stats.skipped_steps == 1 and len(seen) == 1
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_buffer_snapshot_reuses_its_copies():
    model = nn.BatchNorm1d(3)
    snapshot = BufferSnapshot(model)
    snapshot.save()
    copies = [t.data_ptr() for t in snapshot._saved]
    model.running_mean.fill_(float("nan"))
    snapshot.restore()
    assert torch.equal(model.running_mean, torch.zeros(3))
    snapshot.save()
    assert [t.data_ptr() for t in snapshot._saved] == copies


def test_a_stop_before_any_checkpoint_says_none_was_written():
    err = NonFiniteLossError(0, {"loss": float("nan")}, [3])
    assert "the last good checkpoint is kept" in str(err)
    message = str(err.without_checkpoint())
    assert "no checkpoint was written yet" in message and "last good" not in message


def _run(model: nn.Module, saved_iteration: int | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        model=model,
        ema=None,
        dist=DistInfo(),
        state=RunState(iteration=7, saved_iteration=saved_iteration),
    )


def test_no_checkpoint_is_written_from_a_non_finite_model(monkeypatch):
    model = ConvBN()
    model.bn.running_var[1] = float("inf")
    written = []
    monkeypatch.setattr(finite_checks, "save_last", lambda run: written.append(run))
    run = _run(model)
    with pytest.raises(finite_checks.NonFiniteStateError) as info:
        finite_checks.save_last_checked(run)
    assert written == []
    message = str(info.value)
    assert "refusing to write last.pt at iteration 7: model bn.running_var" in message
    assert "no checkpoint was written yet" in message
    assert run.state.saved_iteration is None


def test_a_finite_model_is_saved_and_the_iteration_remembered(monkeypatch):
    written = []
    monkeypatch.setattr(finite_checks, "save_last", lambda run: written.append(run))
    run = _run(ConvBN())
    finite_checks.save_last_checked(run)
    assert written == [run] and run.state.saved_iteration == 7
    run.model.conv.weight.data[0, 0] = float("nan")
    with pytest.raises(finite_checks.NonFiniteStateError, match=r"iteration 7\) is kept"):
        finite_checks.check_finite(run, "best.pt")


def test_a_non_finite_model_ends_the_epoch_loop_with_exit_code_1(monkeypatch, caplog):
    run = _run(ConvBN(), saved_iteration=3)
    run.model.conv.bias.data[0] = float("nan")
    run.records = SimpleNamespace(log=lambda record: records.append(record))
    records: list[dict] = []

    def broken_loop(run):
        finite_checks.check_finite(run, "last.pt")
        return 0

    monkeypatch.setattr(epoch_loop, "epoch_loop", broken_loop)
    assert epoch_loop.run_epochs(run) == 1
    assert records[0]["type"] == "error" and "model conv.bias" in records[0]["message"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "last good checkpoint (iteration 3) is kept" in errors[0]

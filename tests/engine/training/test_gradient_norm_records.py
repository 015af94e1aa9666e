"""The gradient norm a step measures anyway (``train.grad_clip`` set, or
``train.on_nonfinite=skip``) is in the logged records: ``grad_norm`` of the ``train`` records of
metrics.jsonl and TensorBoard's ``train/grad_norm``, equal to what
``torch.nn.utils.clip_grad_norm_`` returned. A step that does not measure it gains no
measurement, and under fp16's scaler only the logged steps read it from the device."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from fake_batches import FakeBatch
from torch import nn

from detseg.engine.records import MetricLogger, read_metrics
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch
from detseg.engine.training.epoch_training import end_of_step
from detseg.engine.training.loop_results import StepInfo
from detseg.engine.training.run_state import RunState


class QuadraticModel(nn.Module):
    """losses = {"loss": (w - 3)^2}: gradient 2 (w - 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images, targets):
        return {"loss_a": (self.w - 3.0) ** 2}


def _batches(n: int) -> list[FakeBatch]:
    return [FakeBatch([torch.zeros(3, 4, 4)], [{}]) for _ in range(n)]


def _spy(monkeypatch, name: str) -> list[torch.Tensor]:
    """Record what ``torch.nn.utils.<name>`` returns."""
    returned: list[torch.Tensor] = []
    real = getattr(torch.nn.utils, name)

    def spy(*args, **kwargs):
        returned.append(real(*args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(torch.nn.utils, name, spy)
    return returned


def _train(tmp_path, settings, steps=2, scaler=None, infos=None):
    model = QuadraticModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    with MetricLogger(tmp_path / "metrics.jsonl") as log:
        train_one_epoch(
            model, _batches(steps), optimizer, scheduler, torch.device("cpu"),
            settings=settings, scaler=scaler, metric_log=log,
            after_step=None if infos is None else lambda info: infos.append(info) and False,
        )  # fmt: skip
    return [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["type"] == "train"]


def test_the_clipped_norm_is_logged_as_clip_grad_norm_returned(tmp_path, monkeypatch):
    returned = _spy(monkeypatch, "clip_grad_norm_")
    records = _train(tmp_path, StepSettings(grad_clip=0.5, log_every=1))
    assert [r["grad_norm"] for r in records] == [float(n) for n in returned]
    assert records[0]["grad_norm"] == pytest.approx(6.0)  # |2 (0 - 3)|, before clipping


def test_the_norm_measured_for_skip_is_logged(tmp_path):
    records = _train(tmp_path, StepSettings(on_nonfinite="skip", log_every=2), steps=4)
    assert [r["iteration"] for r in records] == [1, 3]
    # w after 3 unclipped steps: 3 - 3 * 0.8^3; gradient 2 (w - 3)
    assert records[1]["grad_norm"] == pytest.approx(6 * 0.8**3)


def test_an_unmeasured_norm_is_neither_measured_nor_logged(tmp_path, monkeypatch):
    clipped = _spy(monkeypatch, "clip_grad_norm_")
    totals = _spy(monkeypatch, "get_total_norm")
    records = _train(tmp_path, StepSettings(log_every=1))
    assert clipped == [] and totals == [] and all("grad_norm" not in r for r in records)


def test_under_the_scaler_only_logged_steps_read_the_norm(tmp_path, monkeypatch):
    returned = _spy(monkeypatch, "clip_grad_norm_")
    infos: list[StepInfo] = []
    scaler = torch.amp.GradScaler("cpu", init_scale=4.0)
    records = _train(tmp_path, StepSettings(grad_clip=0.5, log_every=2), 4, scaler, infos)
    assert [type(i.grad_norm) for i in infos] == [torch.Tensor, float, torch.Tensor, float]
    assert [r["grad_norm"] for r in records] == [float(returned[1]), float(returned[3])]


class _Records:
    def __init__(self) -> None:
        self.written: list[tuple[str, dict, int]] = []

    def scalars(self, prefix, values, step):
        self.written.append((prefix, values, step))

    def rank_event(self, event):
        pass


def test_tensorboard_gets_the_norm_of_a_logged_step():
    train = SimpleNamespace(log_every=1, checkpoint_every=None)
    run = SimpleNamespace(
        cfg=SimpleNamespace(train=train), state=RunState(), records=_Records(),
        stop=SimpleNamespace(requested=False, signum=None), dist=DistInfo(),
        after_step=None, profiler=None,
    )  # fmt: skip
    info = StepInfo(0, 0, 1, {"loss": 1.0}, [], lr=0.1, grad_norm=2.5)
    end_of_step(run, info)
    assert run.records.written[0][1]["grad_norm"] == 2.5

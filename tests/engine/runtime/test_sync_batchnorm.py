"""``train.sync_bn``: converted only where it changes something, a warning where it does not."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from detseg.config.schema import ConfigError
from detseg.engine.runtime.distributed import DistInfo, convert_sync_batchnorm

CPU = torch.device("cpu")
TWO_PROCESSES = DistInfo(rank=0, world_size=2, local_rank=0)


def _bn_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())


def _frozen_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), FrozenBatchNorm2d(4), nn.ReLU())


def test_disabled_returns_the_model_silently(caplog: pytest.LogCaptureFixture) -> None:
    model = _bn_model()
    with caplog.at_level(logging.WARNING):
        assert convert_sync_batchnorm(model, TWO_PROCESSES, CPU, enabled=False) is model
    assert caplog.records == []


def test_one_process_warns_that_it_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    model = _bn_model()
    with caplog.at_level(logging.WARNING):
        assert convert_sync_batchnorm(model, DistInfo(), CPU, enabled=True) is model
    assert isinstance(model[1], nn.BatchNorm2d) and not isinstance(model[1], nn.SyncBatchNorm)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "train.sync_bn=true has no effect on one process" in record.getMessage()


def test_frozen_batchnorm_only_warns_even_with_several_processes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = _frozen_model()
    with caplog.at_level(logging.WARNING):
        assert convert_sync_batchnorm(model, TWO_PROCESSES, CPU, enabled=True) is model
    (record,) = caplog.records
    assert "no trainable BatchNorm layer" in record.getMessage()


def test_several_cpu_processes_with_batchnorm_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="train.sync_bn needs CUDA"):
        convert_sync_batchnorm(_bn_model(), TWO_PROCESSES, CPU, enabled=True)


def test_several_cuda_processes_convert_every_batchnorm() -> None:
    model = convert_sync_batchnorm(_bn_model(), TWO_PROCESSES, torch.device("cuda", 0), True)
    assert [type(m) for m in model] == [nn.Conv2d, nn.SyncBatchNorm, nn.ReLU]

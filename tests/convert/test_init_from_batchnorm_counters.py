"""BatchNorm counters (``num_batches_tracked``) in ``model.init_from``: a converted torchvision
file holds only the counters the file holds (torchvision's COCO files, saved with frozen
BatchNorm, have none), and the training log counts tensors as the fit warning does, counters
apart, listing a few re-initialised keys by name and the others by module."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn

from detseg.convert.init_weights import InitReport, load_init_weights
from detseg.convert.torchvision_archs import build_torchvision, convert_torchvision_state
from detseg.models import build_model

ARCH = "lraspp_mobilenet_v3_large"
COUNTER = "num_batches_tracked"


@pytest.fixture(scope="module")
def tv_state():
    torch.manual_seed(0)
    return build_torchvision(ARCH, num_classes=4).state_dict()


def _counters(state) -> list[str]:
    return [key for key in state if key.endswith(COUNTER)]


def test_a_file_without_counters_converts_without_counters(tv_state):
    published = {k: v for k, v in tv_state.items() if not k.endswith(COUNTER)}
    converted = convert_torchvision_state(published)
    assert converted.arch == ARCH and not _counters(converted.state)
    full = convert_torchvision_state(tv_state)
    assert len(_counters(full.state)) == len(_counters(tv_state)) > 10
    assert full.state.keys() - converted.state.keys() == set(_counters(full.state))


def test_only_the_counters_the_file_holds_are_kept(tv_state):
    kept = _counters(tv_state)[:5]
    partial = {k: v for k, v in tv_state.items() if not k.endswith(COUNTER) or k in kept}
    for key in kept:
        partial[key] = torch.tensor(7)
    converted = convert_torchvision_state(partial)
    counters = _counters(converted.state)
    assert len(counters) == 5 and all(int(converted.state[k]) == 7 for k in counters)


def test_frozen_batchnorm_fine_tuning_ignores_nothing(tmp_path, tv_state):
    published = {k: v for k, v in tv_state.items() if not k.endswith(COUNTER)}
    torch.save(published, tmp_path / "coco_like.pth")
    model_cfg = convert_torchvision_state(published).model_cfg
    model = build_model({**model_cfg, "norm": "frozen_bn"}, num_classes=5)
    report = load_init_weights(model, str(tmp_path / "coco_like.pth"))
    assert report.ignored == []  # the converted file held no counters for frozen BatchNorm
    assert report.not_in_source == ["head.cbr.bn.num_batches_tracked"]  # the head's plain BN
    lines = report.lines()
    assert not any(line.lstrip().startswith(("ignored", "not in the source")) for line in lines)
    assert lines[-1] == "  BatchNorm counters (num_batches_tracked): 1 not in the source"


def _bn_stack(width: int) -> nn.Module:
    """A stem that fits any ``width`` (4 tensors), then a neck and a head of 20 conv+BN each."""

    def blocks() -> nn.Sequential:
        return nn.Sequential(
            *[nn.Sequential(nn.Conv2d(width, width, 1), nn.BatchNorm2d(width)) for _ in range(20)]
        )

    model = nn.Module()
    model.stem = nn.Sequential(nn.Conv2d(3, 2, 1), nn.Conv2d(2, 2, 1))
    model.body = nn.Sequential(OrderedDict(neck=blocks(), head=blocks()))
    return model


def test_loaded_count_leaves_counters_out_as_the_fit_warning_does(tmp_path):
    torch.save(_bn_stack(8).state_dict(), tmp_path / "wide.pth")
    report = load_init_weights(_bn_stack(4), str(tmp_path / "wide.pth"))
    assert len(report.loaded) == 4 + 40  # the stem's tensors, and the 40 counters
    lines = report.lines()
    assert lines[0] == (
        f"model.init_from {tmp_path / 'wide.pth'} (detseg state dict): loaded 4 tensors (stem.0 2, "
        "stem.1 2)"
    )
    warning = report.fit_warning()
    assert warning is not None and "fits only 4 of the model's 244 tensors" in warning
    assert "  BatchNorm counters (num_batches_tracked): 40 loaded" in lines
    listed = [line for line in lines if line.startswith("  re-initialised ")]
    assert len(listed) == 10
    assert (
        listed[0]
        == "  re-initialised body.neck.0.0.weight: [8, 8, 1, 1] in the source, [4, 4, 1, 1] here"
    )
    assert lines[lines.index(listed[-1]) + 1] == (
        "  ... and 230 more re-initialised (by module: body.neck 110, body.head 120)"
    )
    assert len(lines) == 13


def test_few_reinitialised_keys_are_all_listed():
    report = InitReport(source="w.pth", origin="detseg state dict")
    report.loaded = ["a.weight", "a.bn.num_batches_tracked"]
    report.reinitialised = [(f"head.{i}.weight", (3,), (4,)) for i in range(10)]
    lines = report.lines()
    assert lines[0] == "model.init_from w.pth (detseg state dict): loaded 1 tensor (a.weight 1)"
    assert "  BatchNorm counters (num_batches_tracked): 1 loaded" in lines
    assert [line for line in lines if "re-initialised head." in line][-1] == (
        "  re-initialised head.9.weight: [3] in the source, [4] here"
    )
    assert not any("more re-initialised" in line for line in lines)

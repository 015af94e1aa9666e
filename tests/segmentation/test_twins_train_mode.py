"""Converted torchvision segmentation models train as their twins do, exactly, in float64.

``test_seg_convert.py`` compares eval-mode logits of one image; here both models are in train
mode on a batch of 3 (BatchNorm on batch statistics, dropout on: the same masks, drawn from
the same seed in the same order), and the training loss of ``SegmentationModel.losses`` is
compared with torchvision's reference recipe (``references/segmentation/train.py``:
cross-entropy with ``ignore_index=255`` on ``out``, plus 0.5 times that on ``aux``), then
every parameter's gradient and every BatchNorm's updated running statistics. 1 x 1 images
give a 1 x 1 deep level, 7 x 13 odd sides at every stride. A channels-last model and batch
give the same logits in float32 up to rounding.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import segmentation as tv_segmentation

import detseg.convert.segmentation as convert_segmentation
from detseg.convert.common import map_keys

# id -> (torchvision builder, kwargs, sizes)
CASES = {
    "fcn_resnet50_aux": ("fcn_resnet50", {"aux_loss": True}, [(1, 1)]),
    "deeplabv3_resnet50_aux": ("deeplabv3_resnet50", {"aux_loss": True}, [(7, 13)]),
    "deeplabv3_mobilenet_v3_large_aux": (
        "deeplabv3_mobilenet_v3_large",
        {"aux_loss": True},
        [(1, 1), (37, 53)],
    ),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large", {}, [(1, 1), (37, 53)]),
}
NUM_LOGITS = 4


def _randomize_norms(model: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)


def _rules(tv_model: nn.Module) -> list[tuple[str, str]]:
    """The converter's key rules for ``tv_model`` (to pair parameters and buffers)."""
    rules = convert_segmentation._backbone_rules(tv_model)
    kind = type(tv_model).__name__
    if kind == "LRASPP":
        return rules + convert_segmentation._LRASPP_RULES
    if kind == "FCN":
        rules += convert_segmentation._fcn_head_rules("classifier", "head")
    else:
        rules += convert_segmentation._deeplab_head_rules(3)
    return rules + convert_segmentation._fcn_head_rules("aux_classifier", "aux_head")


def _twins(name: str, kwargs: dict) -> tuple[nn.Module, nn.Module, dict[str, str]]:
    """float64 torchvision model, its conversion, and ``{tv key: detseg key}``."""
    torch.manual_seed(0)
    tv_model = getattr(tv_segmentation, name)(
        weights=None, weights_backbone=None, num_classes=NUM_LOGITS, **kwargs
    )
    _randomize_norms(tv_model, seed=1)
    model, _ = convert_segmentation.CONVERTERS[type(tv_model).__name__](tv_model.eval())
    return tv_model.double(), model.double(), map_keys(tv_model, model, _rules(tv_model))


def _reference_loss(outputs: dict[str, torch.Tensor], masks: torch.Tensor) -> torch.Tensor:
    """torchvision's ``references/segmentation`` criterion."""
    losses = {k: F.cross_entropy(x, masks, ignore_index=255) for k, x in outputs.items()}
    if len(losses) == 1:
        return losses["out"]
    return losses["out"] + 0.5 * losses["aux"]


@pytest.mark.parametrize("case", list(CASES))
def test_train_mode_loss_gradients_and_running_stats_equal_torchvision(case):
    name, kwargs, sizes = CASES[case]
    tv_model, model, mapping = _twins(name, kwargs)
    generator = torch.Generator().manual_seed(2)
    for h, w in sizes:
        images = torch.rand(3, 3, h, w, generator=generator, dtype=torch.float64)
        masks = torch.randint(0, NUM_LOGITS, (3, h, w), generator=generator)
        masks[:, : h // 3] = 255
        tv_step, step = copy.deepcopy(tv_model).train(), copy.deepcopy(model).train()
        normalised = (images - model.image_mean) / model.image_std

        torch.manual_seed(5)  # the same dropout masks in both
        outputs = tv_step(normalised)
        expected = _reference_loss(outputs, masks)
        expected.backward()
        torch.manual_seed(5)
        losses = step.losses(images, masks)
        assert set(losses) == ({"loss_seg", "loss_aux"} if "aux" in outputs else {"loss_seg"})
        loss = sum(losses.values())
        loss.backward()
        torch.testing.assert_close(loss, expected, rtol=1e-13, atol=1e-13)

        tv_params, params = dict(tv_step.named_parameters()), dict(step.named_parameters())
        for tv_key, tv_param in tv_params.items():
            grad = params[mapping[tv_key]].grad
            assert tv_param.grad is not None and grad is not None, tv_key
            torch.testing.assert_close(grad, tv_param.grad, rtol=1e-10, atol=1e-13)
        tv_state, state = tv_step.state_dict(), step.state_dict()
        for tv_key, value in tv_state.items():
            if "running" in tv_key or "num_batches" in tv_key:
                torch.testing.assert_close(state[mapping[tv_key]], value, rtol=0, atol=1e-14)


@pytest.mark.parametrize("case", ["deeplabv3_mobilenet_v3_large_aux", "lraspp_mobilenet_v3_large"])
def test_eval_batch_of_three_in_float64_equals_torchvision(case):
    name, kwargs, _ = CASES[case]
    tv_model, model, _ = _twins(name, kwargs)
    tv_model.eval()
    images = torch.rand(3, 3, 97, 131, generator=torch.Generator().manual_seed(3)).double()
    with torch.no_grad():
        expected = tv_model((images - model.image_mean) / model.image_std)["out"]
        torch.testing.assert_close(model(images), expected, rtol=1e-13, atol=1e-13)


def test_channels_last_gives_the_same_logits_and_losses():
    """float32: the channels-last kernels round differently, so 1e-5 relative to the logits'
    scale (measured: about 3e-6); dropout is off (its masks follow the memory layout)."""
    _, model, _ = _twins("deeplabv3_mobilenet_v3_large", {"aux_loss": True})
    model = model.float()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    images = torch.rand(3, 3, 37, 53, generator=torch.Generator().manual_seed(4))
    masks = torch.randint(0, NUM_LOGITS, (3, 37, 53), generator=torch.Generator().manual_seed(5))
    last = copy.deepcopy(model).to(memory_format=torch.channels_last)
    last_images = images.to(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = model.eval()(images)
        logits = last.eval()(last_images)
    scale = expected.abs().max().item()
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-5 * scale)
    expected_losses = model.train().losses(images, masks)
    losses = last.train().losses(last_images, masks)
    for key, value in expected_losses.items():
        torch.testing.assert_close(losses[key], value, rtol=1e-5, atol=1e-6)

"""SegmentationModel: shapes at odd sizes, gradients, losses (ce / dice / aux), input checks."""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn.functional as F
from torchvision.models._utils import _make_divisible

from detseg.losses import boundary_weighted_cross_entropy, dice_loss
from detseg.segmentation import SEGMENTATION_MODELS, deeplabv3_mobilenet_v3_large, lraspp
from detseg.segmentation.builders import unet
from detseg.segmentation.loss import SoftTargets, area_targets
from detseg.segmentation.per_image_norm import PER_IMAGE_EPS

# one small model per family (builder name, kwargs)
SMALL = {
    "fcn": ("fcn", {"backbone": "resnet18", "output_stride": 32, "aux_loss": True}),
    "deeplabv3": (
        "deeplabv3",
        {"backbone": "mobilenet_v3_large", "output_stride": 16, "aux_loss": True},
    ),
    "deeplabv3plus": ("deeplabv3plus", {"backbone": "mobilenet_v3_large", "output_stride": 16}),
    "lraspp": ("lraspp", {"inter_channels": 16}),
    "fcn8s_vgg16": ("fcn8s_vgg16", {"fc_channels": 16}),
    "unet": ("unet", {"depth": 3, "base_channels": 4}),
    "unet_backbone": ("unet_backbone", {"backbone": "resnet18", "decoder_channels": (8, 8, 8, 8)}),
}
NUM_CLASSES = 3


def _small(case: str) -> torch.nn.Module:
    name, kwargs = SMALL[case]
    torch.manual_seed(0)
    return SEGMENTATION_MODELS[name](NUM_CLASSES, **kwargs)


def _masks(h: int, w: int) -> torch.Tensor:
    masks = torch.zeros(2, h, w, dtype=torch.int64)
    masks[:, h // 4 : h // 2, w // 3 :] = 2
    masks[0, : h // 5, : w // 5] = 3
    masks[1, -h // 4 :] = 255
    return masks


@pytest.mark.parametrize("case", list(SMALL))
def test_forward_shapes_at_odd_sizes_and_gradients(case):
    model = _small(case)
    assert model.task == "segmentation" and model.num_classes == NUM_CLASSES
    model.eval()
    with torch.no_grad():
        for h, w in [(65, 97), (50, 37)]:
            images = torch.rand(1, 3, h, w)
            logits = model(images)
            assert logits.shape == (1, NUM_CLASSES + 1, h, w) and torch.isfinite(logits).all()
            labels = model.predict(images)
            assert labels.dtype == torch.int64 and torch.equal(labels, logits.argmax(1))
    model.train()
    losses = model.losses(torch.rand(2, 3, 48, 56), _masks(48, 56))
    assert set(losses) == ({"loss_seg", "loss_aux"} if model.aux_head else {"loss_seg"})
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reaches {missing[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_losses_equal_hand_computed_cross_entropy_dice_and_aux():
    torch.manual_seed(0)
    model = deeplabv3_mobilenet_v3_large(
        NUM_CLASSES, aux_loss=True, loss={"kind": "ce+dice", "aux_weight": 0.3, "dice_weight": 2.0}
    ).eval()
    images, masks = torch.rand(2, 3, 40, 44), _masks(40, 44)
    with torch.no_grad():
        losses = model.losses(images, masks)
        logits = model(images)
        features = model.backbone(model.normalize(images))
        aux = F.interpolate(model.aux_head(features), size=(40, 44), mode="bilinear")
    valid = masks != 255
    ce = F.cross_entropy(logits.permute(0, 2, 3, 1)[valid], masks[valid])
    torch.testing.assert_close(losses["loss_seg"], ce)
    torch.testing.assert_close(losses["loss_dice"], 2.0 * dice_loss(logits, masks))
    aux_ce = F.cross_entropy(aux.permute(0, 2, 3, 1)[valid], masks[valid])
    torch.testing.assert_close(losses["loss_aux"], 0.3 * aux_ce)


def test_dice_only_and_all_ignored_masks():
    torch.manual_seed(0)
    model = lraspp(NUM_CLASSES, inter_channels=8, loss={"kind": "dice"})
    losses = model.losses(torch.rand(2, 3, 32, 32), _masks(32, 32))
    assert set(losses) == {"loss_dice"}
    ce_model = lraspp(NUM_CLASSES, inter_channels=8)
    ignored = torch.full((2, 32, 32), 255, dtype=torch.int64)
    losses = ce_model.losses(torch.rand(2, 3, 32, 32), ignored)
    assert losses["loss_seg"].item() == 0.0
    losses["loss_seg"].backward()  # still a graph: training on an all-ignored batch is a no-op
    assert all(torch.all(p.grad == 0) for p in ce_model.parameters() if p.grad is not None)


def test_normalisation_uses_image_mean_and_std():
    model = lraspp(
        1, inter_channels=8, input={"image_mean": (0.5, 0.5, 0.5), "image_std": (0.25, 0.5, 1.0)}
    )
    x = torch.full((1, 3, 2, 2), 0.75)
    expected = torch.tensor([1.0, 0.5, 0.25]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    torch.testing.assert_close(model.normalize(x), expected)
    assert "image_mean" not in model.state_dict()  # settings live in the config, not the weights


def test_per_image_normalisation_by_hand():
    model = unet(
        1, depth=1, base_channels=2, input={"per_image_norm": True, "image_mean": (0.5, 0.5, 0.5)}
    )
    x = torch.zeros(2, 3, 2, 2)
    x[0, 0] = torch.tensor([[0.0, 0.2], [0.4, 0.6]])  # mean 0.3, sample std sqrt(0.2 / 3)
    x[0, 1:] = 0.9  # flat channels: (0.9 - 0.9) / (0 + eps) = 0
    x[1] = x[0] * 0.5 + 0.25  # another image: its own statistics give the same result
    std = (0.2 / 3) ** 0.5
    expected = (x[0, 0] - 0.3) / (std + PER_IMAGE_EPS)
    out = model.normalize(x)
    torch.testing.assert_close(out[0, 0], expected)
    torch.testing.assert_close(out[0, 1:], torch.zeros(2, 2, 2))
    torch.testing.assert_close(out[1, 0], (x[1, 0] - 0.4) / (std * 0.5 + PER_IMAGE_EPS))
    assert not unet(1, depth=1, base_channels=2).per_image_norm  # off by default
    # random images: the per-image mean and sample standard deviation of Tensor.std
    x = torch.rand(3, 3, 17, 9)
    mean, std = x.mean(dim=(2, 3), keepdim=True), x.std(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(model.normalize(x), (x - mean) / (std + PER_IMAGE_EPS))


def test_input_checks_name_the_problem():
    model = lraspp(NUM_CLASSES, inter_channels=8)
    images = torch.rand(2, 3, 16, 16)
    with pytest.raises(ValueError, match=r"mask 1 has labels \[4\] outside 0..3"):
        bad = _masks(16, 16)
        bad[1, 0, 0] = 4
        model.losses(images, bad)
    with pytest.raises(ValueError, match="does not match the images"):
        model.losses(images, _masks(16, 15))
    with pytest.raises(ValueError, match="Int64"):
        model.losses(images, _masks(16, 16).to(torch.uint8))
    with pytest.raises(ValueError, match=r"Float\[B, 3, H, W\]"):
        model(torch.rand(3, 16, 16))
    with pytest.raises(ValueError, match="share a size"):
        model([torch.rand(3, 16, 16), torch.rand(3, 16, 17)])
    assert model.eval()([torch.rand(3, 16, 16)] * 2).shape == (2, 4, 16, 16)
    with pytest.raises(ValueError, match="model.loss.kind must be one of"):
        lraspp(NUM_CLASSES, loss={"kind": "focal"})
    with pytest.raises(ValueError, match="output_stride=8"):
        lraspp(NUM_CLASSES, output_stride=8)
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        lraspp(0)


def test_presets_show_their_defaults_and_accept_family_kwargs():
    for name, builder in SEGMENTATION_MODELS.items():
        params = inspect.signature(builder).parameters
        assert list(params)[0] == "num_classes", name
        assert all(p.kind != p.VAR_KEYWORD for p in params.values()), name
    params = inspect.signature(SEGMENTATION_MODELS["deeplabv3_resnet101"]).parameters
    assert params["backbone"].default == "resnet101" and params["output_stride"].default == 8
    assert (
        inspect.signature(SEGMENTATION_MODELS["fcn8s_vgg16"]).parameters["variant"].default == "8s"
    )
    expected = {
        "fcn_resnet50",
        "fcn_resnet101",
        "fcn8s_vgg16",
        "deeplabv3_resnet50",
        "deeplabv3_resnet101",
        "deeplabv3_mobilenet_v3_large",
        "deeplabv3plus_resnet50",
        "lraspp_mobilenet_v3_large",
        "unet",
        "unet_resnet34",
    }
    assert expected <= set(SEGMENTATION_MODELS)


@pytest.mark.parametrize("name", ["lraspp", "deeplabv3", "deeplabv3plus", "fcn", "unet_backbone"])
def test_width_mult_thins_a_mobilenet_backbone(name):
    kwargs = {"backbone": "mobilenet_v3_large"}
    if name != "unet_backbone":
        kwargs["output_stride"] = 16
    full = SEGMENTATION_MODELS[name](NUM_CLASSES, **kwargs)
    half = SEGMENTATION_MODELS[name](NUM_CLASSES, width_mult=0.5, **kwargs)
    # MobileNetV3's rule: half the channels, rounded to a multiple of 8 (never 10% below)
    half_channels = {k: _make_divisible(c * 0.5, 8) for k, c in full.backbone.out_channels.items()}
    assert half.backbone.out_channels == half_channels
    assert all(half_channels[k] < c for k, c in full.backbone.out_channels.items())
    images = torch.rand(1, 3, 64, 48)
    features = half.backbone(images)
    assert {k: f.shape[1] for k, f in features.items()} == half_channels
    assert half(images).shape == (1, NUM_CLASSES + 1, 64, 48)


def test_width_mult_on_a_resnet_is_an_error():
    with pytest.raises(ValueError, match="width_mult=0.5 needs a MobileNet"):
        SEGMENTATION_MODELS["fcn"](
            NUM_CLASSES, backbone="resnet18", output_stride=32, width_mult=0.5
        )


def test_input_scale_runs_the_network_on_a_resized_batch():
    torch.manual_seed(0)
    model = unet(NUM_CLASSES, depth=2, base_channels=4, input={"scale": 0.5}).eval()
    seen = []
    model.backbone.register_forward_hook(lambda module, args, out: seen.append(args[0].shape))
    images = torch.rand(2, 3, 64, 48)
    logits = model(images)
    assert seen == [(2, 3, 32, 24)]  # the encoder sees half the size ...
    assert logits.shape == (2, NUM_CLASSES + 1, 64, 48)  # ... the logits have the input's
    masks = torch.randint(0, NUM_CLASSES + 1, (2, 64, 48))
    assert torch.isfinite(model.losses(images, masks)["loss_seg"])
    with pytest.raises(ValueError, match=r"model.input.scale must be in \(0, 1\]"):
        unet(NUM_CLASSES, depth=2, base_channels=4, input={"scale": 0.0})


def test_loss_size_network_compares_with_subsampled_masks():
    torch.manual_seed(0)
    model = unet(
        NUM_CLASSES, depth=2, base_channels=4, input={"scale": 0.5}, loss={"kind": "ce+dice"}
    )
    model.loss_size = "network"
    images = torch.rand(2, 3, 30, 20)  # padded to 32 x 20 (size_divisible 4 below)
    model.size_divisible = 4
    masks = torch.randint(0, NUM_CLASSES + 1, (2, 30, 20))
    masks[0, :, :3] = 255
    got = model.losses(images, masks)
    # the same by hand: logits at the network's 16 x 10, masks padded with 255 then subsampled
    features, _ = model._features(images)
    logits = torch.nn.functional.interpolate(
        model.head(features), size=(16, 10), mode="bilinear", align_corners=False
    )
    padded = torch.nn.functional.pad(masks, [0, 0, 0, 2], value=255)
    small = padded[:, 1::2, 1::2]  # nearest-exact at factor 2 picks the odd rows/columns
    assert small.shape == (2, 16, 10) and bool((small[:, -1] == 255).all())
    want = model.loss(logits, small)
    assert got.keys() == want.keys() == {"loss_seg", "loss_dice"}
    for key in got:
        torch.testing.assert_close(got[key], want[key])
    # forward and predict still answer at the input size
    assert model(images).shape == (2, NUM_CLASSES + 1, 30, 20)
    assert model.predict(images).shape == (2, 30, 20)
    # the option is off by default and the builders pass it through
    assert unet(NUM_CLASSES, depth=2, base_channels=4).loss_size == "input"
    network = unet(NUM_CLASSES, depth=2, base_channels=4, loss={"size": "network"})
    assert network.loss_size == "network"
    with pytest.raises(ValueError, match="model.loss.size must be one of"):
        unet(NUM_CLASSES, depth=2, base_channels=4, loss={"size": "half"})


def test_loss_size_logits_compares_at_the_heads_output_size():
    torch.manual_seed(0)
    model = unet(
        NUM_CLASSES,
        depth=2,
        base_channels=4,
        stem_stride=2,
        input={"scale": 0.5},
        loss={"kind": "ce+dice", "size": "logits"},
    )
    images = torch.rand(2, 3, 32, 24)  # network 16 x 12, stride-2 stem: logits 8 x 6
    masks = torch.randint(0, NUM_CLASSES + 1, (2, 32, 24))
    masks[1, :5] = 255
    got = model.losses(images, masks)
    features, _ = model._features(images)
    logits = model.head(features)
    assert logits.shape[-2:] == (8, 6)
    small = masks[:, 2::4, 2::4]  # nearest-exact at factor 4 picks rows/columns 2, 6, 10, ...
    want = model.loss(logits, small)
    assert got.keys() == want.keys() == {"loss_seg", "loss_dice"}
    for key in got:
        torch.testing.assert_close(got[key], want[key])
    assert model(images).shape == (2, NUM_CLASSES + 1, 32, 24)


def test_unet_deep_supervision_trains_the_coarser_decoder_outputs():
    torch.manual_seed(0)
    loss = {"kind": "ce+dice", "dice_weight": 0.5}
    plain = unet(NUM_CLASSES, depth=3, base_channels=4, loss=loss)
    model = unet(NUM_CLASSES, depth=3, base_channels=4, loss=loss, deep_supervision=True)
    # two side classifiers (on the first two of the three up blocks); nothing else changes
    assert len(model.head.side_classifiers) == 2 and len(plain.head.side_classifiers) == 0
    side_keys = {k for k in model.state_dict() if k not in plain.state_dict()}
    assert side_keys and all(k.startswith("head.side_classifiers.") for k in side_keys)
    model.load_state_dict(plain.state_dict(), strict=False)
    images = torch.rand(2, 3, 32, 32)
    masks = torch.randint(0, NUM_CLASSES + 1, (2, 32, 32))
    masks[0, :, :4] = 255
    model.eval()
    plain.eval()
    torch.testing.assert_close(model(images), plain(images))  # inference ignores the sides
    features, _ = model._features(images)
    logits, sides = model.head.forward_with_sides(features)
    assert [tuple(s.shape[-2:]) for s in sides] == [(16, 16), (8, 8)]  # finest first
    torch.testing.assert_close(logits, model.head(features))
    got = model.losses(images, masks)
    want = plain.losses(images, masks)
    for key in ("loss_seg", "loss_dice"):
        torch.testing.assert_close(got[key], want[key])
    # loss_deep by hand: each side at its own size against nearest-subsampled masks,
    # weights 1/2 (finest side) and 1/4, cross-entropy + dice_weight * Dice
    deep = 0.0
    for k, (side, stride) in enumerate(zip(sides, (2, 4), strict=True)):
        side_masks = masks[:, stride // 2 :: stride, stride // 2 :: stride]
        term = torch.nn.functional.cross_entropy(side, side_masks, ignore_index=255)
        term = term + 0.5 * dice_loss(side, side_masks)
        deep = deep + term / 2 ** (k + 1)
    torch.testing.assert_close(got["loss_deep"], deep)
    # the sides get gradients; a decoder of two levels has no side to supervise
    sum(got.values()).backward()
    assert all(p.grad is not None for p in model.head.side_classifiers.parameters())
    with pytest.raises(ValueError, match="deep_supervision"):
        unet(NUM_CLASSES, depth=1, base_channels=4, deep_supervision=True)


def test_boundary_weight_reaches_the_cross_entropy():
    torch.manual_seed(0)
    model = unet(NUM_CLASSES, depth=2, base_channels=4, loss={"boundary_weight": 4.0})
    assert model.loss.boundary_weight == 4.0
    images = torch.rand(2, 3, 16, 16)
    masks = torch.zeros(2, 16, 16, dtype=torch.int64)
    masks[:, 4:10, 5:12] = 2
    got = model.losses(images, masks)["loss_seg"]
    want = boundary_weighted_cross_entropy(model(images), masks, 4.0)
    torch.testing.assert_close(got, want)
    plain = torch.nn.functional.cross_entropy(model(images), masks)
    assert not torch.allclose(got, plain)
    with pytest.raises(ValueError, match="model.loss.boundary_weight must be > 0"):
        unet(NUM_CLASSES, depth=2, base_channels=4, loss={"boundary_weight": 0.0})


def test_backbone_batchnorm_momentum_from_scratch():
    # torchvision's MobileNets use 0.01; from scratch that leaves eval-mode statistics behind
    model = SEGMENTATION_MODELS["lraspp"](NUM_CLASSES, width_mult=0.5)
    momenta = {m.momentum for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert momenta == {0.1}


def _area_reference(masks, padded, size, num_logits):
    """Area downsampling by F.interpolate on the one-hot maps (no shortcuts)."""
    pad = [0, padded[1] - masks.shape[-1], 0, padded[0] - masks.shape[-2]]
    masks = F.pad(masks, pad, value=255)
    valid = (masks != 255).to(torch.float64)
    labels = torch.where(masks != 255, masks, torch.zeros_like(masks))
    one_hot = F.one_hot(labels, num_logits).permute(0, 3, 1, 2).to(torch.float64)
    share = F.interpolate(one_hot * valid[:, None], size=size, mode="area")
    valid_share = F.interpolate(valid[:, None], size=size, mode="area")[:, 0]
    return share, valid_share


@pytest.mark.parametrize("size", [(4, 3), (3, 5)])  # divides 16 x 12 exactly / does not
def test_area_targets_against_interpolate(size):
    torch.manual_seed(0)
    masks = torch.randint(0, 4, (2, 15, 12))
    masks[0, :6, :5] = 255
    got = area_targets(masks, (16, 12), size, 4)
    share, valid = _area_reference(masks, (16, 12), size, 4)
    torch.testing.assert_close(got.valid.double(), valid)
    torch.testing.assert_close((got.probs * got.valid[:, None]).double(), share)
    # where any pixel counts, the fractions sum to 1
    sums = got.probs.sum(dim=1)[got.valid > 0]
    torch.testing.assert_close(sums, torch.ones_like(sums))
    # pooled again from finer soft targets: the same as from the labels when sizes divide
    finer = area_targets(masks, (16, 12), (8, 6), 4)
    again = area_targets(finer, (16, 12), (4, 3), 4)
    direct = area_targets(masks, (16, 12), (4, 3), 4)
    torch.testing.assert_close(again.probs, direct.probs)
    torch.testing.assert_close(again.valid, direct.valid)


def test_area_targets_train_a_coarse_head():
    torch.manual_seed(0)
    model = unet(
        NUM_CLASSES,
        depth=3,
        base_channels=4,
        stem_stride=2,
        loss={
            "kind": "ce+dice",
            "size": "logits",
            "target_downsampling": "area",
            "boundary_weight": 2.0,
        },
        deep_supervision=True,
    )
    images = torch.rand(2, 3, 32, 32)
    masks = torch.randint(0, NUM_CLASSES + 1, (2, 32, 32))
    masks[1, :, -3:] = 255
    got = model.losses(images, masks)
    features, _ = model._features(images)
    logits, sides = model.head.forward_with_sides(features)
    assert logits.shape[-2:] == (16, 16)
    targets = area_targets(masks, (32, 32), (16, 16), NUM_CLASSES + 1)
    deep = [
        (side, area_targets(masks, (32, 32), side.shape[-2:], NUM_CLASSES + 1)) for side in sides
    ]
    want = model.loss(logits, targets, None, deep)
    assert got.keys() == want.keys() == {"loss_seg", "loss_dice", "loss_deep"}
    for key in got:
        torch.testing.assert_close(got[key], want[key])
    assert isinstance(targets, SoftTargets)
    with pytest.raises(ValueError, match="model.loss.target_downsampling must be one of"):
        unet(NUM_CLASSES, depth=2, base_channels=4, loss={"target_downsampling": "bicubic"})

"""U-Net: output size equals input size for any H, W; decoder on backbone pyramids."""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation import UNetDecoder, UNetEncoder, unet_backbone
from detseg.segmentation.builders import unet
from detseg.segmentation.unet import align_to


def test_align_to_pads_and_crops_evenly_by_hand():
    x = torch.arange(6.0).view(1, 1, 2, 3)
    padded = align_to(x, (4, 4))  # +2 rows (1 top, 1 bottom), +1 column (right)
    assert padded.shape == (1, 1, 4, 4)
    assert torch.equal(padded[0, 0, 1:3, 0:3], x[0, 0])
    assert padded[0, 0, 0].abs().sum() == 0 and padded[0, 0, :, 3].abs().sum() == 0
    cropped = align_to(torch.arange(20.0).view(1, 1, 4, 5), (2, 4))
    # -2 rows: one off the top and one off the bottom; -1 column: off the right
    assert torch.equal(cropped[0, 0], torch.tensor([[5.0, 6, 7, 8], [10, 11, 12, 13]]))


def test_encoder_levels_and_channels():
    encoder = UNetEncoder(3, base_channels=4, depth=3)
    assert encoder.out_channels == {"c0": 4, "c1": 8, "c2": 16, "c3": 32}
    assert encoder.strides == {"c0": 1, "c1": 2, "c2": 4, "c3": 8}
    features = encoder(torch.rand(1, 3, 37, 50))
    assert [tuple(f.shape[-2:]) for f in features.values()] == [(37, 50), (18, 25), (9, 12), (4, 6)]


@pytest.mark.parametrize("upsampling", ["transpose", "bilinear"])
@pytest.mark.parametrize(("h", "w"), [(64, 64), (37, 50), (33, 17), (15, 31)])
def test_classic_unet_output_equals_input_size(upsampling, h, w):
    torch.manual_seed(0)
    model = unet(2, depth=3, base_channels=4, upsampling=upsampling).eval()
    with torch.no_grad():
        logits = model(torch.rand(2, 3, h, w))
    assert logits.shape == (2, 3, h, w)
    # the decoder already works at full resolution: the model adds no interpolation
    features = model.backbone(model.normalize(torch.rand(1, 3, h, w)))
    assert model.head(features).shape[-2:] == (h, w)


def test_classic_unet_defaults_are_the_paper_widths():
    model = unet(1)
    assert list(model.backbone.out_channels.values()) == [64, 128, 256, 512, 1024]
    assert [block.conv[0].out_channels for block in model.head.blocks] == [512, 256, 128, 64]
    assert isinstance(model.head.blocks[0].up, torch.nn.ConvTranspose2d)
    no_norm = unet(1, depth=1, base_channels=2, norm=None)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in no_norm.modules())


@pytest.mark.parametrize("backbone", ["resnet18", "vgg16", "mobilenet_v3_large"])
def test_unet_decoder_on_backbone_pyramids(backbone):
    torch.manual_seed(0)
    model = unet_backbone(3, backbone=backbone, decoder_channels=(16, 16, 8, 8)).eval()
    assert model.head.in_features == ("c1", "c2", "c3", "c4", "c5")
    with torch.no_grad():
        logits = model(torch.rand(1, 3, 45, 70))
    assert logits.shape == (1, 4, 45, 70)


def test_decoder_rejects_transpose_without_doubling_strides():
    channels = {"c4": 8, "c5": 16}
    with pytest.raises(ValueError, match="use 'bilinear'"):
        UNetDecoder(channels, {"c4": 16, "c5": 16}, 2, upsampling="transpose")
    decoder = UNetDecoder(channels, {"c4": 16, "c5": 16}, 2, upsampling="bilinear")
    features = {"c4": torch.rand(1, 8, 5, 6), "c5": torch.rand(1, 16, 5, 6)}
    assert decoder(features).shape == (1, 2, 5, 6)
    with pytest.raises(ValueError, match="decoder_channels needs 1"):
        UNetDecoder(channels, {"c4": 16, "c5": 32}, 2, decoder_channels=(4, 4))


def test_stem_stride_2_starts_at_c1_and_keeps_the_input_size():
    encoder = UNetEncoder(3, base_channels=4, depth=2, stem_stride=2)
    assert encoder.out_channels == {"c1": 4, "c2": 8, "c3": 16}
    assert encoder.strides == {"c1": 2, "c2": 4, "c3": 8}
    features = encoder(torch.rand(2, 3, 37, 50))
    # stride-2 conv with padding 1 rounds up (19 x 25), then 2x2 pools floor
    assert [tuple(f.shape[-2:]) for f in features.values()] == [(19, 25), (9, 12), (4, 6)]
    torch.manual_seed(0)
    model = unet(2, depth=2, base_channels=4, stem_stride=2).eval()
    with torch.no_grad():
        head_out = model.head(model.backbone(model.normalize(torch.rand(1, 3, 37, 50))))
        logits = model(torch.rand(1, 3, 37, 50))
    assert head_out.shape[-2:] == (19, 25)  # logits at stride 2 ...
    assert logits.shape == (1, 3, 37, 50)  # ... upsampled by the model to the input size
    with pytest.raises(ValueError, match="stem_stride must be 1 or 2"):
        UNetEncoder(stem_stride=4)

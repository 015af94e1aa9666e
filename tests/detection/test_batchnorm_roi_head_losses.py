"""RoI heads with BatchNorm (the v2 box head, the v2 mask head) train on the sampled RoIs only.

The box stage pools a padded ``[B, S]`` batch of RoIs: an image with fewer sampled RoIs than
``S`` (few proposals, a crowded image, ``batch_size_per_image`` above the candidates) gets
filler rows. A BatchNorm layer in training takes its mean and variance over every row it
sees, so fillers would change the loss of every real RoI and the running statistics; the
mask head's padded (GPU) path has background slots in the same way. Compared here with
torchvision's ``RoIHeads`` (same weights, same seeded draw) and with the mask head's CPU path.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch import nn
from torchvision.models.detection import faster_rcnn as tv_faster_rcnn
from torchvision.models.detection import roi_heads as tv_roi_heads
from torchvision.ops import MultiScaleRoIAlign

from detseg.detection import mask_head
from detseg.detection.fast_rcnn_heads import FastRCNNConvFCHead, FastRCNNPredictor
from detseg.detection.mask_head import MaskRCNNHead
from detseg.detection.roi_heads import RoIHeads, RoIHeadsConfig
from detseg.detection.roi_pooling import RoIPooler


def _boxes(count: int, generator: torch.Generator) -> torch.Tensor:
    xy = torch.rand(count, 2, generator=generator) * 80
    return torch.cat([xy, xy + 8 + torch.rand(count, 2, generator=generator) * 40], 1)


def _batch_norms(module: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


def test_bn_box_head_losses_and_statistics_are_torchvisions_with_uneven_samples():
    torch.manual_seed(0)
    head = FastRCNNConvFCHead(8, 7, conv_channels=(8, 8), fc_features=(16,))
    predictor = FastRCNNPredictor(16, 4)
    config = RoIHeadsConfig(batch_size_per_image=64, positive_fraction=0.25)
    ours = RoIHeads(RoIPooler(["0"], [4]), head, predictor, config).train()
    tv_head = tv_faster_rcnn.FastRCNNConvFCHead((8, 7, 7), [8, 8], [16], norm_layer=nn.BatchNorm2d)
    tv_predictor = tv_faster_rcnn.FastRCNNPredictor(16, 4)
    for tv_module, module in ((tv_head, head), (tv_predictor, predictor)):
        values = list(module.state_dict().values())
        tv_keys = list(tv_module.state_dict())
        assert [v.shape for v in values] == [tv_module.state_dict()[k].shape for k in tv_keys]
        tv_module.load_state_dict(dict(zip(tv_keys, values, strict=True)))
    twin = tv_roi_heads.RoIHeads(
        MultiScaleRoIAlign(["0"], 7, 2),
        tv_head,
        tv_predictor,
        0.5,
        0.5,
        64,
        0.25,
        (10.0, 10.0, 5.0, 5.0),
        0.05,
        0.5,
        100,
    ).train()

    generator = torch.Generator().manual_seed(1)
    features = OrderedDict([("0", torch.rand(2, 8, 32, 32, generator=generator))])
    gt = torch.tensor([[10.0, 12.0, 60.0, 70.0], [50.0, 40.0, 110.0, 100.0]])
    # 40 + 2 candidates in the first image, 6 + 1 in the second: 35 filler rows there
    proposals = [
        torch.cat(
            [_boxes(30, generator), gt.repeat(5, 1) + torch.randn(10, 4, generator=generator)]
        ),
        _boxes(6, generator),
    ]
    targets = [
        {"boxes": gt, "labels": torch.tensor([1, 3])},
        {"boxes": torch.tensor([[20.0, 30.0, 70.0, 90.0]]), "labels": torch.tensor([2])},
    ]
    torch.manual_seed(3)
    _, want = twin(features, [p.clone() for p in proposals], [(128, 128), (128, 100)], targets)
    torch.manual_seed(3)
    have = ours.losses(features, proposals, targets)
    torch.testing.assert_close(have["loss_roi_cls"], want["loss_classifier"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(have["loss_roi_box"], want["loss_box_reg"], rtol=1e-5, atol=1e-6)
    assert have["loss_roi_box"] > 0
    for norm, tv_norm in zip(_batch_norms(head), _batch_norms(tv_head), strict=True):
        torch.testing.assert_close(norm.running_mean, tv_norm.running_mean)
        torch.testing.assert_close(norm.running_var, tv_norm.running_var)


def test_bn_mask_head_padded_path_gives_the_cpu_paths_loss_and_statistics(monkeypatch):
    torch.manual_seed(0)
    head = MaskRCNNHead(
        RoIPooler(["0"], [4], output_size=14), 8, 3, (8, 8), norm="bn", dim_reduced=8
    ).train()
    padded_head = copy.deepcopy(head)
    generator = torch.Generator().manual_seed(2)
    features = OrderedDict([("0", torch.rand(2, 8, 32, 32, generator=generator))])
    rois = torch.stack([_boxes(12, generator), _boxes(12, generator)])
    # 5 foreground RoIs in the first image, 1 in the second; the rest background
    labels = torch.zeros(2, 12, dtype=torch.int64)
    labels[0, :5] = torch.tensor([1, 3, 2, 1, 3])
    labels[1, 0] = 2
    matched_gt = torch.zeros(2, 12, dtype=torch.int64)
    matched_gt[0, :5] = torch.tensor([0, 1, 0, 1, 1])
    masks = (torch.rand(2, 128, 128, generator=generator) > 0.5).to(torch.uint8)
    gt_masks = [masks, masks[:1, :, :100]]
    sizes = [(128, 128), (128, 100)]
    on_cpu = head.losses(features, rois, labels, matched_gt, gt_masks, sizes, max_foreground=8)
    monkeypatch.setattr(mask_head, "host_reads_are_free", lambda device: False)
    padded = padded_head.losses(
        features, rois, labels, matched_gt, gt_masks, sizes, max_foreground=8
    )
    torch.testing.assert_close(padded, on_cpu, rtol=1e-5, atol=1e-6)
    for norm, padded_norm in zip(_batch_norms(head), _batch_norms(padded_head), strict=True):
        torch.testing.assert_close(padded_norm.running_mean, norm.running_mean)
        torch.testing.assert_close(padded_norm.running_var, norm.running_var)

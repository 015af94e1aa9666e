"""The small detector of the training, evaluation and tool tests, as ``--set`` overrides.

``configs/demo.yaml`` trains a MobileNetV3 FPN Faster R-CNN on 256 px images; these overrides
turn it into a ResNet-18 Faster R-CNN without FPN on small images, a few steps of which run in
seconds. Each test adds its own RPN / RoI head sizes (or :data:`SMALL_HEADS`) and ``train.*``
keys.
(``pyproject.toml`` puts ``tests/`` on the import path: ``from tiny_detector import ...``.)
"""

from __future__ import annotations


def tiny_faster_rcnn(size: int = 64, representation_size: int = 32) -> list[str]:
    """``--set`` overrides of ``configs/demo.yaml``: a ResNet-18 Faster R-CNN without FPN.

    Args:
        size: ``model.min_size`` and ``model.max_size`` (the shapes images are resized to it).
        representation_size: width of the box head.
    """
    return [
        "model.name=faster_rcnn",
        "model.backbone=resnet18",
        "model.width_mult=1.0",  # demo.yaml thins its MobileNet; a ResNet takes 1.0 only
        "model.fpn=false",
        "model.return_layers=null",  # demo.yaml's FPN levels, anchors and ratios do not apply
        "model.anchor_sizes=null",
        "model.aspect_ratios=null",
        f"model.min_size={size}",
        f"model.max_size={size}",
        f"model.representation_size={representation_size}",
    ]


#: RPN and RoI head sizes of the resume and device-settings tests: a few proposals per image.
SMALL_HEADS = [
    "model.rpn={batch_size_per_image: 32, pre_nms_top_n_train: 100, post_nms_top_n_train: 30,"
    " pre_nms_top_n_test: 50, post_nms_top_n_test: 10}",
    "model.roi_heads={batch_size_per_image: 16}",
]

#: RPN and RoI head sizes of the evaluation tests: fewer proposals per image in training.
EVAL_HEADS = [
    "model.rpn={batch_size_per_image: 16, pre_nms_top_n_train: 100, post_nms_top_n_train: 20,"
    " pre_nms_top_n_test: 50, post_nms_top_n_test: 10}",
    "model.roi_heads={batch_size_per_image: 16}",
]

#: A run of one training step on the CPU (batch 2, no loader workers), evaluated in batches of 4.
ONE_STEP_ON_CPU = [
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.warmup_iters=1",
    "eval.batch_size=4",
    "device=cpu",
]

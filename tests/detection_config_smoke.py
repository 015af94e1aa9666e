"""The detection configs' smoke runs on the shapes dataset: the overrides each config needs.

Shared by ``tests/tools/test_config_trains_on_shapes.py`` (COCO layout) and
``tests/tools/test_config_trains_on_layouts.py`` (VOC and YOLO layouts), two files so that
pytest-xdist (``--dist loadfile``) runs their trainings on both workers.
(``pyproject.toml`` puts ``tests/`` on the import path: ``from detection_config_smoke import ...``.)
"""

from __future__ import annotations

# Every experiment file must train on the shapes dataset with only the overrides its header
# comment documents (plus small sizes to keep this cheap). A new config needs an entry here.
SHAPES_COCO_PATHS = [
    "data.train_images=train/images",
    "data.train_ann=annotations/instances_train.json",
    "data.val_images=val/images",
    "data.val_ann=annotations/instances_val.json",
]
ON_SHAPES = {
    "configs/demo.yaml": [],
    "configs/faster_rcnn/faster_rcnn_mobilenet_v3_fpn_shapes.yaml": [],
    "configs/faster_rcnn/faster_rcnn_r50_fpn_coco.yaml": [
        *SHAPES_COCO_PATHS,
        "model.backbone_weights=null",
    ],
    "configs/faster_rcnn/faster_rcnn_r50_fpn_finetune.yaml": ["model.init_from=null"],
    "configs/faster_rcnn/faster_rcnn_vgg16_voc.yaml": [
        "data.format=coco",
        "model.backbone_weights=null",
    ],
    "configs/mask_rcnn/mask_rcnn_r50_fpn_coco.yaml": [
        *SHAPES_COCO_PATHS,
        "model.backbone_weights=null",
    ],
    "configs/mask_rcnn/mask_rcnn_shapes.yaml": [],
    "configs/retinanet/retinanet_r50_fpn_coco.yaml": [
        *SHAPES_COCO_PATHS,
        "model.backbone_weights=null",
    ],
    "configs/retinanet/retinanet_r50_fpn_voc.yaml": [
        "data.format=coco",
        "model.backbone_weights=null",
    ],
    "configs/retinanet/retinanet_shapes.yaml": [],
    "configs/ssd/ssd300_vgg16_coco.yaml": [*SHAPES_COCO_PATHS, "model.backbone_weights=null"],
    "configs/ssd/ssd300_vgg16_voc.yaml": ["data.format=coco", "model.backbone_weights=null"],
    "configs/ssd/ssdlite320_coco.yaml": [*SHAPES_COCO_PATHS, "model.backbone_weights=null"],
    "configs/ssd/ssdlite320_shapes.yaml": [],
    "configs/yolo/yolov1_shapes.yaml": [],
    "configs/yolo/yolov1_voc.yaml": ["data.format=coco", "model.backbone_weights=null"],
    "configs/yolo/yolov3_coco.yaml": [*SHAPES_COCO_PATHS, "model.backbone_weights=null"],
    "configs/yolo/yolov3_shapes.yaml": [],
    "configs/yolo/yolov3_voc.yaml": ["data.format=coco", "model.backbone_weights=null"],
}
# Small inputs per model family (the first prefix of the model name that matches). The R-CNN
# heads sample 64 RoIs per image and keep 10 detections: an untrained Mask R-CNN otherwise
# runs its mask head on 100 detections per image in validation.
SMALL_RCNN = [
    "model.min_size=64",
    "model.max_size=64",
    "model.representation_size=128",
    "model.roi_heads.batch_size_per_image=64",
    "model.roi_heads.detections_per_img=10",
]
SMOKE_MODEL = {
    "faster_rcnn": SMALL_RCNN,
    "mask_rcnn": SMALL_RCNN,
    "retinanet": ["model.min_size=64", "model.max_size=64"],
    # the VGG16 SSD is built for 300 px only: one image per step instead (it has no BatchNorm)
    "ssd300": ["train.batch_size=1"],
    "ssdlite": ["model.size=64"],
    "yolo": ["model.input_size=64"],
}
# One iteration of two images, then validation (and the TensorBoard drawing) of one image.
SMOKE = [
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "eval.max_images=1",
    "eval.batch_size=1",
    "device=cpu",
]

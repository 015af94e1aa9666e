"""Semantic segmentation datasets, augmentations and loader on tiny hand-written files."""

import json
import logging

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from pycocotools import mask as mask_utils

from detseg.data import (
    DATA_DEFAULTS,
    CocoSegmentation,
    FolderSegmentation,
    ShapesSegmentation,
    VOCSegmentation,
    build_augmentations,
    build_dataset,
    build_segmentation_augmentations,
    build_segmentation_dataset,
    build_segmentation_loader,
    generate_shapes,
    read_image,
    read_label_map,
)
from detseg.data.seg_loader import collate_segmentation
from detseg.data.shapes import SHAPE_CLASSES
from detseg.data.voc import VOC_CLASSES


def _voc_palette() -> list[int]:
    """The Pascal VOC colour map (bit-interleaved label -> RGB), 256 entries."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def _write_palette_png(path, indices: np.ndarray) -> None:
    image = Image.fromarray(indices.astype(np.uint8), mode="P")
    image.putpalette(_voc_palette())
    image.save(path)


def _write_rgb(path, height: int, width: int, seed: int = 0) -> np.ndarray:
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), rgb[:, :, ::-1])
    return rgb


def _voc_tree(tmp_path, mask: np.ndarray):
    root = tmp_path / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    _write_rgb(root / "JPEGImages/2007_000032.jpg", *mask.shape)
    _write_palette_png(root / "SegmentationClass/2007_000032.png", mask)
    (root / "ImageSets/Segmentation/train.txt").write_text("2007_000032\n")
    return root


# 6x5 label map: background, aeroplane (1), person (15) with a 255 "void" border.
VOC_MASK = np.array(
    [
        [0, 0, 0, 0, 0],
        [0, 255, 255, 255, 0],
        [0, 255, 1, 255, 0],
        [0, 255, 255, 255, 0],
        [15, 15, 0, 0, 0],
        [15, 15, 0, 0, 255],
    ],
    dtype=np.uint8,
)


def test_palette_png_reads_indices_not_colours(tmp_path):
    _write_palette_png(tmp_path / "m.png", VOC_MASK)
    # OpenCV expands the palette into colours: aeroplane (index 1) is VOC red (128, 0, 0).
    assert cv2.imread(str(tmp_path / "m.png"), cv2.IMREAD_UNCHANGED)[2, 2].tolist() == [0, 0, 128]
    labels = read_label_map(tmp_path / "m.png")
    assert labels.dtype == np.uint8 and labels.tolist() == VOC_MASK.tolist()


def test_voc_segmentation_keeps_255_border(tmp_path):
    dataset = VOCSegmentation(_voc_tree(tmp_path, VOC_MASK), "train")
    assert dataset.classes == VOC_CLASSES and len(dataset) == 1
    image, mask = dataset[0]
    assert image.shape == (3, 6, 5) and image.dtype == torch.float32
    assert mask.dtype == torch.int64 and mask.tolist() == VOC_MASK.tolist()
    assert int((mask == 255).sum()) == 9 and dataset.names == ["2007_000032"]


def test_label_map_modes(tmp_path):
    gray_rgb = np.repeat(VOC_MASK[:, :, None], 3, axis=2)
    Image.fromarray(gray_rgb, mode="RGB").save(tmp_path / "gray_rgb.png")
    assert read_label_map(tmp_path / "gray_rgb.png").tolist() == VOC_MASK.tolist()
    deep = VOC_MASK.astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "deep.png"), deep)
    assert read_label_map(tmp_path / "deep.png").tolist() == VOC_MASK.tolist()
    colour = gray_rgb.copy()
    colour[0, 0] = (128, 0, 0)
    Image.fromarray(colour, mode="RGB").save(tmp_path / "colour.png")
    with pytest.raises(ValueError, match=r"colour\.png.*colour image"):
        read_label_map(tmp_path / "colour.png")


def _folder_tree(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    masks = {
        "a": np.array([[0, 1, 1], [2, 2, 255]], dtype=np.uint8),
        "b": np.array([[3, 0, 0], [0, 0, 1]], dtype=np.uint8),
    }
    for stem, mask in masks.items():
        _write_rgb(tmp_path / "img" / f"{stem}.png", 2, 3)
        assert cv2.imwrite(str(tmp_path / "lab" / f"{stem}.png"), mask)
    _write_rgb(tmp_path / "img" / "no_label.png", 2, 3)
    (tmp_path / "img" / "notes.txt").write_text("not an image")
    return masks


def test_folder_layout_with_yaml_and_txt_classes(tmp_path, caplog):
    masks = _folder_tree(tmp_path)
    (tmp_path / "data.yaml").write_text("names: [cat, dog, bird]\n")
    (tmp_path / "classes.txt").write_text("cat\ndog\nbird\n\n")
    with caplog.at_level(logging.WARNING):
        by_yaml = FolderSegmentation(tmp_path / "img", tmp_path / "lab", tmp_path / "data.yaml")
    assert "no_label.png" in caplog.text  # left out, with a warning naming it
    by_txt = FolderSegmentation(tmp_path / "img", tmp_path / "lab", tmp_path / "classes.txt")
    by_list = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog", "bird"])
    for dataset in (by_yaml, by_txt, by_list):
        assert dataset.classes == ["cat", "dog", "bird"] and dataset.names == ["a", "b"]
        assert dataset[1][1].tolist() == masks["b"].tolist()
    image, mask = by_yaml[0]
    assert torch.equal(image, read_image(tmp_path / "img" / "a.png"))
    assert mask.tolist() == masks["a"].tolist()


def test_out_of_range_label_names_file_and_values(tmp_path):
    masks = _folder_tree(tmp_path)
    dataset = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog"])
    assert dataset[0][1].tolist() == masks["a"].tolist()  # 0, 1, 2 and 255 are valid for K=2
    with pytest.raises(ValueError, match=r"b\.png.*\[3\] are outside 0\.\.2"):
        dataset[1]


def test_size_mismatch_names_the_file(tmp_path):
    _folder_tree(tmp_path)
    assert cv2.imwrite(str(tmp_path / "lab" / "b.png"), np.zeros((3, 3), dtype=np.uint8))
    dataset = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog", "bird"])
    with pytest.raises(ValueError, match=r"b\.png.*3x3 \(HxW\).*image is 2x3"):
        dataset[1]


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def _box_mask(y1, y2, x1, x2, shape=(8, 10)) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def _coco_tree(tmp_path, annotations):
    (tmp_path / "images").mkdir()
    _write_rgb(tmp_path / "images" / "x.png", 8, 10)
    gt = {
        "images": [{"id": 7, "file_name": "x.png", "height": 8, "width": 10}],
        "annotations": [{"id": i + 1, "image_id": 7, **a} for i, a in enumerate(annotations)],
        "categories": [{"id": 3, "name": "cup"}, {"id": 5, "name": "table"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(gt))
    return CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")


def test_coco_rasterisation_overlap_and_crowd(tmp_path):
    cup = _box_mask(2, 4, 2, 4)  # 4 px, listed first: it still wins over the table
    table = _box_mask(1, 6, 1, 7)  # 30 px
    crowd = _box_mask(5, 8, 0, 10)  # crowd band at the bottom, partly under the table
    tie = _box_mask(0, 1, 8, 10)  # a cup and a table of equal size: the later one (table) wins
    anns = [
        {"category_id": 3, "iscrowd": 0, "segmentation": _rle(cup)},
        {"category_id": 5, "iscrowd": 0, "segmentation": _rle(table)},
        {"category_id": 3, "iscrowd": 1, "segmentation": _rle(crowd)},
        {"category_id": 3, "iscrowd": 0, "segmentation": _rle(tie)},
        {"category_id": 5, "iscrowd": 0, "segmentation": _rle(tie)},
        {"category_id": 99, "iscrowd": 0, "segmentation": _rle(_box_mask(0, 1, 0, 1))},
    ]
    dataset = _coco_tree(tmp_path, anns)
    assert dataset.classes == ["cup", "table"] and dataset.cat_ids == [3, 5]
    assert dataset.image_ids == [7]
    _, mask = dataset[0]
    expected = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0, 2, 2],  # (0, 0): the unknown category id 99 is left out
            [0, 2, 2, 2, 2, 2, 2, 0, 0, 0],
            [0, 2, 1, 1, 2, 2, 2, 0, 0, 0],
            [0, 2, 1, 1, 2, 2, 2, 0, 0, 0],
            [0, 2, 2, 2, 2, 2, 2, 0, 0, 0],
            [255, 2, 2, 2, 2, 2, 2, 255, 255, 255],
            [255] * 10,
            [255] * 10,
        ]
    )
    assert mask.tolist() == expected.tolist()


def test_coco_polygon_matches_pycocotools(tmp_path):
    polygon = [[1.0, 1.0, 8.5, 1.5, 6.0, 7.0, 1.5, 6.0]]
    dataset = _coco_tree(tmp_path, [{"category_id": 5, "iscrowd": 0, "segmentation": polygon}])
    reference = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, 8, 10)))
    _, mask = dataset[0]
    assert reference.sum() > 10
    assert mask.tolist() == (reference.astype(np.int64) * 2).tolist()


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=2, size=64, seed=3)
    return root


def test_shapes_masks_and_coco_agree(shapes_root):
    shapes = ShapesSegmentation(shapes_root, "val")
    coco = CocoSegmentation(
        shapes_root / "val/images", shapes_root / "annotations/instances_val.json"
    )
    assert shapes.classes == list(SHAPE_CLASSES) == coco.classes and len(shapes) == 2
    for i in range(2):
        image, mask = shapes[i]
        stored = cv2.imread(str(shapes_root / f"masks/val/{i:06d}.png"), cv2.IMREAD_UNCHANGED)
        assert mask.tolist() == stored.tolist()
        assert torch.equal(image, read_image(shapes_root / f"val/images/{i:06d}.png"))
        # shapes' instances do not overlap, so the rasterised COCO json gives the same map
        assert torch.equal(coco[i][1], mask)
    assert any(int(shapes[i][1].max()) > 0 for i in range(2))


def test_corrupt_image_is_skipped_and_counted(shapes_root, tmp_path, caplog):
    bad = tmp_path / "img"
    bad.mkdir()
    for stem in ("000000", "000001"):
        (bad / f"{stem}.png").write_bytes((shapes_root / f"val/images/{stem}.png").read_bytes())
    (bad / "000001.png").write_bytes(b"\x89PNG broken")
    dataset = FolderSegmentation(bad, shapes_root / "masks/val", list(SHAPE_CLASSES))
    with caplog.at_level(logging.WARNING):
        assert dataset[1] is None
    assert "000001.png" in caplog.text
    batches = list(build_segmentation_loader(dataset, batch_size=2, shuffle=False))
    assert len(batches) == 1 and batches[0].skipped_images == 1
    assert batches[0].images.shape == (1, 3, 64, 64) and batches[0].masks.shape == (1, 64, 64)


def test_collate_pads_image_with_0_and_mask_with_255():
    small = (torch.full((3, 2, 3), 0.5), torch.ones((2, 3), dtype=torch.int64))
    large = (torch.full((3, 4, 2), 0.25), torch.full((4, 2), 2, dtype=torch.int64))
    batch = collate_segmentation([small, None, large])
    assert batch.skipped_images == 1 and batch.image_sizes == [(2, 3), (4, 2)]
    assert batch.images.shape == (2, 3, 4, 3) and batch.masks.dtype == torch.int64
    assert batch.masks[0].tolist() == [[1, 1, 1], [1, 1, 1], [255] * 3, [255] * 3]
    assert batch.masks[1].tolist() == [[2, 2, 255]] * 4
    assert batch.images[0, :, 2:].abs().sum() == 0 and batch.images[1, :, :, 2].abs().sum() == 0
    empty = collate_segmentation([None, None])
    assert len(empty) == 0 and empty.skipped_images == 2


def test_flip_moves_the_mask_with_the_image(tmp_path):
    _folder_tree(tmp_path)
    flip = build_segmentation_augmentations([{"name": "HorizontalFlip", "p": 1.0}], seed=0)
    plain = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog", "bird"])
    flipped = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog", "bird"], flip)
    image, mask = plain[0]
    image_f, mask_f = flipped[0]
    assert mask_f.tolist() == [[1, 1, 0], [255, 2, 2]]
    assert torch.equal(image_f, image.flip(-1)) and torch.equal(mask_f, mask.flip(-1))
    # A detection pipeline (with box fields) works on label maps as well.
    det_flip = build_augmentations([{"name": "HorizontalFlip", "p": 1.0}], seed=0)
    det = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["cat", "dog", "bird"], det_flip)
    assert torch.equal(det[0][1], mask_f)


def test_padding_fills_the_mask_with_ignore(tmp_path):
    _folder_tree(tmp_path)
    spec = [{"name": "PadIfNeeded", "min_height": 4, "min_width": 3, "position": "top_left"}]
    pad = build_segmentation_augmentations(spec)
    image, mask = FolderSegmentation(tmp_path / "img", tmp_path / "lab", ["a", "b", "c"], pad)[0]
    assert mask.tolist() == [[0, 1, 1], [2, 2, 255], [255] * 3, [255] * 3]
    assert image.shape == (3, 4, 3) and image[:, 2:].abs().sum() == 0
    spec[0]["fill_mask"] = 0  # an explicit value is kept
    _, mask0 = FolderSegmentation(
        tmp_path / "img", tmp_path / "lab", ["a", "b", "c"], build_segmentation_augmentations(spec)
    )[0]
    assert mask0[2:].tolist() == [[0] * 3, [0] * 3]


def test_registry_builds_every_format(shapes_root, tmp_path):
    shapes = build_segmentation_dataset({"format": "shapes_seg", "root": shapes_root}, "train")
    assert isinstance(shapes, ShapesSegmentation) and len(shapes) == 4
    coco = build_dataset({"format": "coco_seg", "root": shapes_root}, "val")
    assert isinstance(coco, CocoSegmentation) and len(coco) == 2
    voc = _voc_tree(tmp_path, VOC_MASK)
    (voc / "ImageSets/Segmentation/val.txt").write_text("2007_000032\n")
    cfg = {"format": "voc_seg", "root": voc, "classes": [f"c{k}" for k in range(15)]}
    assert build_segmentation_dataset(cfg, "val")[0][1].tolist() == VOC_MASK.tolist()
    (voc / "my_classes.txt").write_text("".join(f"c{k}\n" for k in range(15)))
    from_file = build_segmentation_dataset({**cfg, "classes": "my_classes.txt"}, "val")
    assert from_file.classes == [f"c{k}" for k in range(15)]  # a file, not its characters
    folder = tmp_path / "folder"
    (folder / "images").mkdir(parents=True)
    _folder_tree(folder / "images")
    (folder / "names.txt").write_text("cat\ndog\nbird\n")
    cfg = {
        "format": "folder_seg",
        "root": folder,
        "val_images": "images/img",
        "val_masks": "images/lab",
        "classes": "names.txt",
    }
    assert build_segmentation_dataset(cfg, "val").names == ["a", "b"]
    assert {"train_masks", "mask_suffix"} <= set(DATA_DEFAULTS["folder_seg"])


def test_registry_rejects_bad_config(shapes_root):
    with pytest.raises(ValueError, match="train_mask.*'train_masks'"):
        build_segmentation_dataset({"format": "folder_seg", "root": "x", "train_mask": "m"}, "val")
    with pytest.raises(ValueError, match="load_masks.*format 'coco_seg'"):
        build_dataset({"format": "coco_seg", "root": shapes_root, "load_masks": True}, "val")
    with pytest.raises(ValueError, match="'voc_seg'"):
        build_segmentation_dataset({"format": "voc_sge", "root": "x"}, "val")
    with pytest.raises(ValueError, match="split"):
        build_segmentation_dataset({"format": "shapes_seg", "root": shapes_root}, "test")
    with pytest.raises(FileNotFoundError, match="JPEGImages"):
        build_segmentation_dataset({"format": "voc_seg", "root": shapes_root}, "train")


def test_cache_keeps_decoded_pairs_and_augments_every_read(tmp_path):
    _folder_tree(tmp_path)
    flip = build_segmentation_augmentations([{"name": "HorizontalFlip", "p": 1.0}], seed=0)
    cfg = {"format": "folder_seg", "root": tmp_path, "train_images": "img", "train_masks": "lab"}
    cfg["classes"] = ["cat", "dog", "bird"]
    plain = build_segmentation_dataset(cfg, "train")
    cached = build_segmentation_dataset({**cfg, "cache": True}, "train", flip)
    image, mask = plain[0]
    for _ in range(3):  # the flip runs on every read and never changes the cached arrays
        image_c, mask_c = cached[0]
        assert torch.equal(image_c, image.flip(-1)) and torch.equal(mask_c, mask.flip(-1))
    stored_rgb, stored_mask = cached._cache[0]
    assert stored_rgb.dtype == np.uint8 and stored_mask.tolist() == mask.tolist()
    # The files are read once: with them gone the cached image still comes back, the other not.
    for folder in ("img", "lab"):
        for path in (tmp_path / folder).iterdir():
            path.unlink()
    assert torch.equal(cached[0][0], image.flip(-1))
    assert plain[0] is None and len(cached) == 2 and cached[1] is None
    assert 1 not in cached._cache  # an unreadable image is not cached as a failure either

"""The synthetic shapes dataset: deterministic, varied, and its annotations match its pixels."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from detseg.data import CocoDetection
from detseg.data.shapes import (
    MAX_OBJECTS,
    MIN_VISIBLE_AREA,
    SHAPE_CLASSES,
    generate_shapes,
    image_spec,
    render_image,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    counts = generate_shapes(root, num_train=12, num_val=6, num_test=4, size=128, seed=3)
    return root, counts


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_determinism(tiny, tmp_path):
    root, counts = tiny
    files = _files(root)
    assert counts["train_images"] == 12 and counts["val_images"] == 6
    assert counts["test_images"] == 4
    for split, num in (("train", 12), ("val", 6), ("test", 4)):
        for i in range(num):
            assert Path(split, "images", f"{i:06d}.png") in files
            assert Path("masks", split, f"{i:06d}.png") in files
        assert Path("annotations", f"instances_{split}.json") in files
    # a second run, drawing in two processes, writes the very same bytes
    generate_shapes(
        tmp_path / "again", num_train=12, num_val=6, num_test=4, size=128, seed=3, workers=2
    )
    assert _files(tmp_path / "again") == files
    generate_shapes(tmp_path / "other", num_train=2, num_val=0, size=128, seed=4)
    other = (tmp_path / "other" / "train" / "images" / "000000.png").read_bytes()
    assert other != files[Path("train/images/000000.png")]


def test_annotations_match_masks_and_pixels(tiny):
    root, _ = tiny
    for split in ("train", "val", "test"):
        gt = json.loads((root / "annotations" / f"instances_{split}.json").read_text())
        assert [c["id"] for c in gt["categories"]] == list(range(1, len(SHAPE_CLASSES) + 1))
        assert [c["name"] for c in gt["categories"]] == list(SHAPE_CLASSES)
        by_image = {img["id"]: [] for img in gt["images"]}
        for ann in gt["annotations"]:
            by_image[ann["image_id"]].append(ann)
        for img in gt["images"]:
            semantic = cv2.imread(
                str(root / "masks" / split / img["file_name"]), cv2.IMREAD_UNCHANGED
            )
            assert semantic.dtype == np.uint8 and semantic.shape == (128, 128)
            union = np.zeros_like(semantic)
            for ann in by_image[img["id"]]:
                mask = mask_utils.decode(ann["segmentation"])
                assert ann["iscrowd"] == 0 and ann["area"] == mask.sum() >= MIN_VISIBLE_AREA
                assert ann["bbox"] == mask_utils.toBbox(ann["segmentation"]).tolist()
                assert np.all(semantic[mask == 1] == ann["category_id"])
                assert not np.any(union[mask == 1]), "instance masks overlap"
                union[mask == 1] = 1
            assert np.array_equal(union, (semantic > 0).astype(np.uint8))


def test_mask_pixels_carry_one_colour_when_noise_free():
    checked = 0
    for index in range(40):
        spec = image_spec(0, "train", index, 96)
        if spec.noise_std != 0 or not spec.shapes:
            continue
        rendered = render_image(0, "train", index, 96)
        for mask in rendered.masks:
            colours = np.unique(rendered.image[mask], axis=0)
            assert len(colours) == 1
            checked += 1
    assert checked >= 10


def test_spec_statistics_over_many_images():
    specs = [image_spec(0, "train", i, 256) for i in range(2000)]
    empty = sum(1 for s in specs if not s.shapes) / len(specs)
    assert 0.03 <= empty <= 0.07
    assert max(len(s.shapes) for s in specs) == MAX_OBJECTS
    labels = {shape.label for s in specs for shape in s.shapes}
    assert labels == set(range(1, len(SHAPE_CLASSES) + 1))
    assert len({s.background for s in specs}) == 4


def test_all_coco_area_ranges_and_classes_occur():
    areas, labels = [], set()
    for index in range(60):
        rendered = render_image(0, "val", index, 256)
        areas += rendered.masks.sum(axis=(1, 2)).tolist()
        labels |= set(rendered.labels.tolist())
    areas = np.array(areas)
    assert (areas < 32**2).sum() > 0
    assert ((areas >= 32**2) & (areas < 96**2)).sum() > 0
    assert (areas >= 96**2).sum() > 0
    assert labels == set(range(1, len(SHAPE_CLASSES) + 1))


def test_coco_reader_on_shapes(tiny):
    root, _ = tiny
    dataset = CocoDetection(
        root / "train/images", root / "annotations/instances_train.json", load_masks=True
    )
    gt = dataset.coco_gt()
    assert dataset.classes == list(SHAPE_CLASSES) and len(dataset) == 12
    for i in range(len(dataset)):
        image, target = dataset[i]
        anns = [a for a in gt["annotations"] if a["image_id"] == dataset.image_ids[i]]
        expected = [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)]
        assert torch.equal(
            target["boxes"], torch.tensor(expected, dtype=torch.float32).reshape(-1, 4)
        )
        assert target["masks"].flatten(1).sum(1).tolist() == [a["area"] for a in anns]
        pixels = cv2.imread(str(root / "train/images" / f"{i:06d}.png"))[:, :, ::-1] / 255.0
        assert torch.allclose(image, torch.from_numpy(pixels.transpose(2, 0, 1)).float())


def test_test_split_is_held_out(tiny):
    """The test split is drawn from its own stream: none of its images repeats a train/val one."""
    root, _ = tiny
    seen = {
        (root / split / "images" / f"{i:06d}.png").read_bytes()
        for split, num in (("train", 12), ("val", 6))
        for i in range(num)
    }
    test_images = [(root / "test" / "images" / f"{i:06d}.png").read_bytes() for i in range(4)]
    assert not seen.intersection(test_images)
    # without num_test no test split is written
    assert "test_images" not in generate_shapes(root.parent / "no_test", 1, 1, size=64)
    assert not (root.parent / "no_test" / "test").exists()


def test_an_existing_dataset_or_file_is_not_written_over(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=1, size=64)
    before = _files(root)
    with pytest.raises(ValueError, match=f"output folder {root} exists and is not empty"):
        generate_shapes(root, num_train=2, num_val=1, size=96)
    assert _files(root) == before
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        generate_shapes(tmp_path / "file", num_train=1, num_val=1, size=64)
    (tmp_path / "empty").mkdir()
    assert generate_shapes(tmp_path / "empty", num_train=1, num_val=1, size=64)["val_images"] == 1


def test_an_interrupted_run_leaves_no_dataset(tmp_path, monkeypatch):
    """The dataset appears at once when complete: a failure midway leaves no folder behind."""
    from detseg.data import shapes

    def fail(out, split, *args):
        if split == "val":
            raise KeyboardInterrupt
        return write_split(out, split, *args)

    write_split = shapes._write_split
    monkeypatch.setattr(shapes, "_write_split", fail)
    with pytest.raises(KeyboardInterrupt):
        generate_shapes(tmp_path / "shapes", num_train=1, num_val=1, size=64)
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_names_the_output_not_the_hidden_folder(tmp_path, monkeypatch):
    """The dataset is written into a hidden ``.<name>.partial-<pid>`` folder first; an error
    there names the path it would have in the output folder."""
    from detseg.data import shapes

    def fail(out, split, *args):
        path = out / "annotations" / f"instances_{split}.json"
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(shapes, "_write_split", fail)
    out = tmp_path / "shapes"
    with pytest.raises(PermissionError) as error:
        generate_shapes(out, num_train=1, num_val=1, size=64)
    assert error.value.filename == str(out / "annotations" / "instances_train.json")
    assert ".partial" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="cannot be made: .*file is a file"):
        generate_shapes(tmp_path / "file" / "shapes", num_train=1, num_val=1, size=64)

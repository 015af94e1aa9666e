"""DATASETS / build_dataset from a data config section."""

import pytest

from detseg.data import DATASETS, CocoDetection, VOCDetection, YoloTxtDetection, build_dataset
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=2, size=64, seed=1)
    return root


def test_datasets_is_a_plain_dict():
    assert DATASETS == {"coco": CocoDetection, "voc": VOCDetection, "yolo": YoloTxtDetection}


def test_coco_defaults_fit_the_shapes_layout(shapes_root):
    train = build_dataset({"root": str(shapes_root)}, "train")
    val = build_dataset({"format": "coco", "root": shapes_root, "load_masks": True}, "val")
    assert len(train) == 4 and len(val) == 2 and train.classes == list(SHAPE_CLASSES)
    assert val.load_masks and not train.load_masks


def test_unknown_key_names_the_closest(shapes_root):
    with pytest.raises(ValueError, match="train_imgs.*'train_images'"):
        build_dataset({"root": shapes_root, "train_imgs": "x"}, "train")
    with pytest.raises(ValueError, match="'voc'"):
        build_dataset({"root": shapes_root, "format": "vco"}, "train")
    with pytest.raises(ValueError, match="root"):
        build_dataset({"format": "coco"}, "train")
    with pytest.raises(ValueError, match="split"):
        build_dataset({"root": shapes_root}, "test")


def test_missing_paths_raise(tmp_path):
    with pytest.raises(FileNotFoundError, match="instances_train.json"):
        build_dataset({"root": tmp_path}, "train")


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "shapes_seg", "folder_seg"])
def test_a_missing_root_is_named_as_data_root(tmp_path, fmt):
    with pytest.raises(FileNotFoundError, match=r"data.root '.*nowhere' is not a folder"):
        build_dataset({"format": fmt, "root": tmp_path / "nowhere"}, "train")


def test_voc_and_yolo_configs(tmp_path):
    voc = tmp_path / "voc"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True)
    (voc / "ImageSets/Main/val.txt").write_text("x\n")
    (voc / "my_split.txt").write_text("x\ny\n")
    for name in ("x", "y"):
        xml = f"<annotation><filename>{name}.png</filename><object><name>a</name></object>"
        (voc / "Annotations" / f"{name}.xml").write_text(xml + "</annotation>")
        (voc / "JPEGImages" / f"{name}.png").write_bytes(b"")  # a split of no image is refused
    cfg = {"format": "voc", "root": voc, "val_split": "val", "train_split": "my_split.txt"}
    assert len(build_dataset(cfg, "val")) == 1 and len(build_dataset(cfg, "train")) == 2
    yolo = tmp_path / "yolo"
    (yolo / "images/val").mkdir(parents=True)
    (yolo / "labels/val").mkdir(parents=True)
    (yolo / "images/val/a.png").write_bytes(b"")
    (yolo / "classes.txt").write_text("a\nb\n")
    dataset = build_dataset({"format": "yolo", "root": yolo}, "val")
    assert dataset.classes == ["a", "b"] and len(dataset) == 1
    with pytest.raises(ValueError, match="load_masks.*format 'yolo'"):
        build_dataset({"format": "yolo", "root": yolo, "load_masks": True}, "val")


def test_a_missing_voc_root_describes_the_voc_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        build_dataset({"format": "voc", "root": tmp_path / "nowhere"}, "train")
    message = str(error.value)
    assert "make_shapes" not in message and "--set data.root=PATH" in message
    assert "VOCdevkit/VOC2007, with Annotations/, JPEGImages/ and ImageSets/Main/" in message
    with pytest.raises(ValueError, match="data.root is required: .* the VOC year folder"):
        build_dataset({"format": "voc"}, "train")


def test_a_missing_coco_root_describes_the_sections_own_paths(tmp_path):
    """COCO 2017's data file names train2017/ ...: the message gives those, and names the
    shapes generator only for a root named like the shapes dataset."""
    coco2017 = {
        "format": "coco",
        "root": tmp_path / "coco",
        "train_images": "train2017",
        "val_images": "val2017",
        "train_ann": "annotations/instances_train2017.json",
        "val_ann": "annotations/instances_val2017.json",
    }
    with pytest.raises(FileNotFoundError) as error:
        build_dataset(coco2017, "train")
    assert str(error.value).endswith(
        "to the dataset folder, with train2017/, val2017/, annotations/instances_train2017.json, "
        "annotations/instances_val2017.json"
    )
    outside = {**coco2017, "val_images": str(tmp_path / "elsewhere") + "/", "val_ann": None}
    with pytest.raises(FileNotFoundError) as error:  # only the paths inside the root
        build_dataset(outside, "train")
    assert str(error.value).endswith("with train2017/, annotations/instances_train2017.json")
    shapes = tmp_path / "my_shapes"
    with pytest.raises(
        FileNotFoundError, match=rf"instances_val\.json \(detseg-make-shapes --out {shapes},"
    ):
        build_dataset({"format": "coco", "root": shapes}, "train")


def test_the_vocdevkit_folder_as_root_points_at_the_year_folder(tmp_path):
    year = tmp_path / "VOCdevkit" / "VOC2007"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (year / sub).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"set data.root to the year folder: .*VOC2007$"):
        build_dataset({"format": "voc", "root": tmp_path / "VOCdevkit"}, "train")


def test_a_relative_root_that_is_missing_says_where_it_was_looked_for(tmp_path, monkeypatch):
    """A run's config keeps data.root as training was given it: evaluated from another
    folder, the message says which folder the relative root was read from."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "coco", "root": "datasets/shapes"}, "val")
    assert str(info.value).startswith(
        "data.root 'datasets/shapes' is not a folder (a relative root is read from the working "
        f"folder, {tmp_path}): set data.root"
    )

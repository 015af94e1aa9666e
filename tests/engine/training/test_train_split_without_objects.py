"""A detection train split without any object stops the run at start with one line.

An annotation file without annotations, or whose every annotation is dropped (a degenerate box,
a crowd region, a box outside the image size its entry or xml states), VOC xml files without
``<object>``, empty YOLO label files: training on such a split learns background alone.
``build_data`` refuses it before anything is written, with a ``ValueError`` naming the split's
files, its image count and ``tools/check_data.py`` (``tools/train.py``: one ``train: error:``
line, exit code 2, no work dir); every process of a distributed run raises the same line. A
split with a single object trains.

The data: the shapes dataset (4 train and 2 val images of 64 px) in COCO, and converted to VOC
and YOLO (images linked).
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn
from two_processes import run_two_processes

from detseg.config import load_config
from detseg.convert.datasets.convert import convert_dataset
from detseg.data.shapes import generate_shapes
from detseg.engine.training.train_data import build_data

REPO = Path(__file__).resolve().parents[3]

SETS = ["train.num_workers=0", "data.augmentations=[]", "device=cpu"]

#: What every refusal says after the split's files.
WHAT_TO_DO = (
    r"\) has no object to learn from: none of its 4 images has an annotated object that "
    r"training keeps .*background alone; run detseg-check-data \(tools/check_data.py\) with this "
    r"config"
)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> dict[str, Path]:
    """The shapes dataset in COCO, VOC and YOLO (4 train images, 2 val images, 64 px)."""
    folder = tmp_path_factory.mktemp("split_without_objects")
    coco = folder / "coco"
    generate_shapes(coco, num_train=4, num_val=2, size=64, seed=1)
    for fmt in ("voc", "yolo"):
        convert_dataset(coco, folder / fmt, "coco", fmt, link=True, progress=False)
    return {"coco": coco, "voc": folder / "voc", "yolo": folder / "yolo"}


def _copy(shapes: dict[str, Path], fmt: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(shapes[fmt], tmp_path / fmt, symlinks=True))


def _build(fmt: str, root: Path, *sets: str):
    data_file = None if fmt == "coco" else root / "data.yaml"
    cfg = load_config(REPO / "configs/demo.yaml", [*SETS, f"data.root={root}", *sets], data_file)
    return build_data(cfg, "detection")


def _edit_train_json(root: Path, edit) -> Path:
    path = root / "annotations" / "instances_train.json"
    gt = json.loads(path.read_text())
    gt["annotations"] = edit(gt["annotations"])
    path.write_text(json.dumps(gt))
    return path


def _coco_refusal(root: Path) -> str:
    ann_file = root / "annotations" / "instances_train.json"
    files = f"{ann_file}, images in {root / 'train' / 'images'}"
    return rf"^the train split \({re.escape(files)}{WHAT_TO_DO}"


def _zero_width(annotations: list[dict]) -> list[dict]:
    return [{**ann, "bbox": [*ann["bbox"][:2], 0, ann["bbox"][3]]} for ann in annotations]


def _all_crowd(annotations: list[dict]) -> list[dict]:
    return [{**ann, "iscrowd": 1} for ann in annotations]


def _right_of_images(annotations: list[dict]) -> list[dict]:
    """Every box moved 1000 px right: outside its 64 px image (the entries state the size)."""
    return [{**ann, "bbox": [ann["bbox"][0] + 1000, *ann["bbox"][1:]]} for ann in annotations]


@pytest.mark.parametrize(
    "edit",
    [lambda anns: [], _zero_width, _all_crowd, _right_of_images],
    ids=["no_annotations", "degenerate_boxes", "crowd_only", "boxes_outside_images"],
)
def test_coco_train_split_without_objects_is_refused(shapes, tmp_path, edit):
    root = _copy(shapes, "coco", tmp_path)
    _edit_train_json(root, edit)
    with pytest.raises(ValueError, match=_coco_refusal(root)) as caught:
        _build("coco", root)
    assert "\n" not in str(caught.value)
    # named as a Python caller gives them: load_config's keywords (the tool's flags: below)
    assert str(caught.value).endswith(_CHECK_AGAIN.format("overrides"))


#: The end of every refusal: the overrides to check the data with as ``{}``; check_data has
#: no --data, so the config or data file is its argument.
_CHECK_AGAIN = (
    "with this config (or the data file given with it) as its argument and the same {} to see "
    "what the reader finds, then add or fix the annotations"
)


def test_coco_train_split_of_categories_without_objects_is_refused(shapes, tmp_path):
    root = _copy(shapes, "coco", tmp_path)
    _edit_train_json(root, lambda anns: [a for a in anns if a["category_id"] != 1])
    with pytest.raises(ValueError, match=_coco_refusal(root)):
        _build("coco", root, "data.classes=[circle]")  # the val split has circles


def _without_objects(folder: Path, pattern: str) -> None:
    for xml in folder.glob(pattern):
        xml.write_text(re.sub(r"\s*<object>.*?</object>", "", xml.read_text(), flags=re.S))


def _refused_voc_train_split(root: Path) -> None:
    """Building the VOC split under ``root`` raises the refusal naming its split file."""
    files = f"{root / 'ImageSets' / 'Main' / 'train.txt'}, annotations in {root / 'Annotations'}"
    with pytest.raises(ValueError, match=rf"^the train split \({re.escape(files)}{WHAT_TO_DO}"):
        _build("voc", root)


def test_voc_xml_files_without_objects_are_refused(shapes, tmp_path):
    root = _copy(shapes, "voc", tmp_path)
    _without_objects(root / "Annotations", "train_*.xml")
    _refused_voc_train_split(root)


def test_voc_boxes_outside_the_stated_image_size_are_refused(shapes, tmp_path):
    root = _copy(shapes, "voc", tmp_path)
    for xml in (root / "Annotations").glob("train_*.xml"):
        assert "<width>64</width>" in xml.read_text()  # the xml states the image size
        moved = re.sub(
            r"<(xmin|xmax)>(\d+)</",
            lambda m: f"<{m[1]}>{int(m[2]) + 1000}</",
            xml.read_text(),
        )
        xml.write_text(moved)
    _refused_voc_train_split(root)


def test_voc_split_of_difficult_objects_left_out_is_refused(shapes, tmp_path):
    root = _copy(shapes, "voc", tmp_path)
    for xml in (root / "Annotations").glob("train_*.xml"):
        xml.write_text(xml.read_text().replace("<difficult>0<", "<difficult>1<"))
    with pytest.raises(ValueError, match=WHAT_TO_DO):
        _build("voc", root, "data.keep_difficult=false")
    assert _build("voc", root).train_set.num_objects > 0  # kept by default: trains


@pytest.mark.parametrize("labels", ["empty", "missing", "degenerate"])
def test_yolo_label_files_without_objects_are_refused(shapes, tmp_path, labels):
    root = _copy(shapes, "yolo", tmp_path)
    for txt in (root / "labels" / "train").glob("*.txt"):
        if labels == "missing":
            txt.unlink()
        else:  # no line, or a zero-width box per line
            rows = [line.split() for line in txt.read_text().splitlines()]
            txt.write_text(
                "" if labels == "empty" else "".join(f"{r[0]} 0.5 0.5 0 0.2\n" for r in rows)
            )
    files = f"YOLO labels in {root / 'labels' / 'train'}, images in {root / 'images' / 'train'}"
    with pytest.raises(ValueError, match=rf"^the train split \({re.escape(files)}{WHAT_TO_DO}"):
        _build("yolo", root)


def _keep_one_object(fmt: str, root: Path) -> None:
    """Leave a single object in the train split (its first image's first)."""
    if fmt == "coco":
        _edit_train_json(root, lambda anns: anns[:1])
    elif fmt == "voc":
        first = sorted((root / "Annotations").glob("train_*.xml"))[0]
        text = first.read_text()
        end = text.index("</object>") + len("</object>")
        _without_objects(root / "Annotations", "train_*.xml")
        start = text.index("<object>")
        kept = first.read_text().replace("</annotation>", text[start:end] + "\n</annotation>")
        first.write_text(kept)
    else:
        files = sorted((root / "labels" / "train").glob("*.txt"))
        for txt in files:
            txt.write_text(txt.read_text().splitlines()[0] + "\n" if txt == files[0] else "")


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo"])
def test_train_split_with_one_object_starts(shapes, tmp_path, fmt):
    root = _copy(shapes, fmt, tmp_path)
    _keep_one_object(fmt, root)
    data = _build(fmt, root)
    assert data.train_set.num_objects == 1
    assert len(data.train_set) == 4


def test_train_py_stops_with_one_line_before_writing(shapes, tmp_path, run_tool):
    root = _copy(shapes, "coco", tmp_path)
    _edit_train_json(root, lambda anns: [])
    work_dir = tmp_path / "run"
    result = run_tool(
        "train.py", "configs/demo.yaml", "--work-dir", work_dir, "--set", *SETS,
        *tiny_faster_rcnn(size=64), *SMALL_HEADS, "train.max_iters=1", f"data.root={root}",
    )  # fmt: skip
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-3000:]
    assert not any("Traceback" in line for line in lines), result.stderr[-3000:]
    assert re.match(_coco_refusal(root).replace("^", "^train: error: ", 1), lines[-1]), lines[-1]
    assert lines[-1].endswith(_CHECK_AGAIN.format("--set"))
    assert "--data" not in lines[-1]  # check_data has no --data: the file is its argument
    assert not work_dir.exists()


_TWO_PROCESSES = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from detseg.config import load_config
    from detseg.engine import train

    folder = Path(sys.argv[0]).parent
    cfg = load_config({config!r}, {sets!r})
    try:
        train(cfg, folder / "run")
        print("error none")
    except ValueError as err:
        print("error", err)
    """
)


def test_every_process_of_a_distributed_run_stops_with_the_same_line(shapes, tmp_path):
    root = _copy(shapes, "coco", tmp_path)
    _edit_train_json(root, lambda anns: [])
    script = _TWO_PROCESSES.format(
        config=str(REPO / "configs/demo.yaml"),
        sets=[*SETS, *tiny_faster_rcnn(size=64), f"data.root={root}"],
    )
    outputs = run_two_processes(script, tmp_path, timeout=240)
    errors = [out.split("error ")[-1].strip() for out in outputs]
    assert errors[0] == errors[1]
    assert re.match(_coco_refusal(root), errors[0]), errors[0]
    assert not (tmp_path / "run").exists()

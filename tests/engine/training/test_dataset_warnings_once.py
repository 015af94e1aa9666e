"""A training run says each problem of its val split once.

The val images are read more than once in a run: to build the ground truth of a VOC or YOLO
split (the image sizes and targets), by each validation, and for TensorBoard's prediction
images. An unreadable image, a dropped VOC box or a bad YOLO label line is one warning per run
(:mod:`detseg.data.said_once`), and the ground truth's note of the images it leaves out is one
line that counts them and names their files.

The runs are ``tools/train.py`` with a tiny Faster R-CNN (``tiny_detector``) on shapes images of
64 px converted to each format, one step and one validation on the CPU with a loader worker
(the validation reads in another process), then ``tools/eval.py`` on its checkpoint.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.convert.datasets.convert import convert_dataset
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes
from detseg.evaluation.coco_format import dataset_to_coco_gt

REPO = Path(__file__).resolve().parents[3]

RUN = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=1",  # the validation reads in a loader worker, as runs do
    "train.tensorboard=true",
    "train.tensorboard_images=3",
    "eval.batch_size=2",
    "eval.max_images=3",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    """The shapes dataset (COCO): 2 train and 3 val images of 64 px."""
    root = tmp_path_factory.mktemp("said_once") / "coco"
    generate_shapes(root, num_train=2, num_val=3, size=64, seed=3)
    return root


def _copy(shapes: Path, tmp_path: Path, fmt: str) -> Path:
    if fmt == "coco":
        return Path(shutil.copytree(shapes, tmp_path / "coco"))
    convert_dataset(shapes, tmp_path / fmt, "coco", fmt, progress=False)
    return tmp_path / fmt


def _config(root: Path, fmt: str, sets: list[str]):
    """The demo config on ``root`` (a VOC or YOLO copy through its converter's data.yaml)."""
    if fmt == "coco":
        return load_config(REPO / "configs/demo.yaml", [f"data.root={root}", *sets])
    return load_config(REPO / "configs/demo.yaml", sets, data_file=root / "data.yaml")


def _val_image(root: Path, fmt: str, stem: str) -> Path:
    if fmt == "coco":
        return root / "val" / "images" / f"{stem}.png"
    if fmt == "voc":
        return root / "JPEGImages" / f"val_{stem}.png"
    return root / "images" / "val" / f"{stem}.png"


def _tool_warnings(result) -> list[str]:
    """The warning lines a tool printed (all processes: the loader workers' too)."""
    assert result.returncode == 0, result.stderr[-3000:]
    found = (re.match(r"(?:\S+ \S+ )?WARNING (.*)", line) for line in result.stderr.splitlines())
    return [m[1] for m in found if m]


def _train_and_eval(run_tool, root: Path, fmt: str, tmp_path: Path) -> list[list[str]]:
    """The warnings of tools/train.py (one step, the validation's loader in a worker process)
    and of tools/eval.py on its checkpoint."""
    data = ["--data", root / "data.yaml"] if fmt != "coco" else []
    sets = [*RUN, "data.augmentations=[]"]
    sets += [f"data.root={root}"] if fmt == "coco" else []
    work_dir = tmp_path / "run"
    trained = run_tool(
        "train.py", "configs/demo.yaml", *data, "--work-dir", work_dir, "--set", *sets
    )
    evaluated = run_tool("eval.py", work_dir / "last.pt", *data, "--out", tmp_path / "eval")
    return [_tool_warnings(trained), _tool_warnings(evaluated)]


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo"])
def test_an_unreadable_val_image_is_warned_about_once_per_run(shapes, tmp_path, fmt, run_tool):
    root = _copy(shapes, tmp_path, fmt)
    broken = _val_image(root, fmt, "000001")
    broken.write_bytes(broken.read_bytes()[:100])  # truncated: it reads as no image
    for warnings in _train_and_eval(run_tool, root, fmt, tmp_path):
        unreadable = [w for w in warnings if w.startswith("skipping unreadable image")]
        assert len(unreadable) == 1 and str(broken) in unreadable[0], warnings
        left_out = [w for w in warnings if "left out of the ground truth" in w]
        if fmt == "coco":  # its ground truth is the json: no image is read to build it
            assert left_out == [], warnings
        else:
            assert left_out == [
                "1 of 3 image(s) unreadable, left out of the ground truth (and not scored): "
                f"{broken}"
            ]


def test_two_processes_say_what_the_ground_truth_finds_once(shapes, tmp_path, run_tool):
    """Each process reads the whole val split for its ground truth: rank 0 alone says so."""
    root = _copy(shapes, tmp_path, "voc")
    broken = _val_image(root, "voc", "000001")
    broken.unlink()
    trained = run_tool(
        "train.py", "configs/demo.yaml", "--data", root / "data.yaml", "--nproc", "2",
        "--work-dir", tmp_path / "run", "--set", *RUN, "data.augmentations=[]",
    )  # fmt: skip
    warnings = _tool_warnings(trained)
    assert len([w for w in warnings if w.startswith("skipping unreadable image")]) == 1, warnings
    assert len([w for w in warnings if "left out of the ground truth" in w]) == 1, warnings


def test_a_dropped_voc_box_is_warned_about_once_per_run(shapes, tmp_path, run_tool):
    root = _copy(shapes, tmp_path, "voc")
    xml = root / "Annotations" / "val_000000.xml"
    text = xml.read_text()
    xmax = re.search(r"<xmax>(\d+)</xmax>", text)
    assert xmax is not None
    # the first object's xmin beyond its xmax: a box of negative width, dropped
    xml.write_text(re.sub(r"<xmin>\d+</xmin>", f"<xmin>{int(xmax[1]) + 2}</xmin>", text, count=1))
    for warnings in _train_and_eval(run_tool, root, "voc", tmp_path):
        dropped = [w for w in warnings if "dropped box" in w]
        assert len(dropped) == 1 and str(xml) in dropped[0], warnings


def test_a_bad_yolo_label_line_is_warned_about_once_per_run(shapes, tmp_path, run_tool):
    root = _copy(shapes, tmp_path, "yolo")
    labels = root / "labels" / "val" / "000000.txt"
    labels.write_text(labels.read_text() + "1 0.5 0.5 not-a-number\n")
    for warnings in _train_and_eval(run_tool, root, "yolo", tmp_path):
        dropped = [w for w in warnings if "dropped label" in w]
        assert len(dropped) == 1 and str(labels) in dropped[0], warnings


def test_the_ground_truth_names_the_images_it_leaves_out(shapes, tmp_path, caplog):
    """One line, with the count and the files (the first 5), whatever the number of images."""
    root = _copy(shapes, tmp_path, "voc")
    for stem in ("000000", "000002"):
        (root / "JPEGImages" / f"val_{stem}.png").unlink()
    cfg = _config(root, "voc", [])
    dataset = build_dataset(cfg.data.dataset_kwargs(), "val")
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_format"):
        gt = dataset_to_coco_gt(dataset)
    assert [img["id"] for img in gt["images"]] == [dataset.image_ids[1]]
    notes = [r.getMessage() for r in caplog.records if r.name == "detseg.evaluation.coco_format"]
    missing = [root / "JPEGImages" / f"val_{stem}.png" for stem in ("000000", "000002")]
    assert notes == [
        "2 of 3 image(s) unreadable, left out of the ground truth (and not scored): "
        f"{missing[0]}, {missing[1]}"
    ]

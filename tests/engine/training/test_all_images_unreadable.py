"""A training run that can read none of its images stops with one error line, not a success.

An epoch whose every train image is unreadable (empty files) takes no step; a validation
whose every val image is unreadable scores nothing (mIoU nan, AP 0). Either stops
``tools/train.py`` with one ``train: error:`` line (exit code 2, no traceback) naming the
count, the split's files and ``tools/check_data.py``, before ``best.pt``; checkpoints of
earlier epochs stay as they are. A distributed run decides from the counts of every process,
so every process stops alike. One unreadable image among readable ones is skipped and counted,
and the run trains on the rest.

The runs are a tiny Faster R-CNN (``tiny_detector``) on 4 shapes images of 64 px and a small
U-Net (``unet_shapes.yaml``) on 2 folder_seg images of 64 px, one epoch on the CPU.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn
from two_processes import run_two_processes

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.records import read_metrics
from detseg.engine.training.unreadable_images import UnreadableImagesError

REPO = Path(__file__).resolve().parents[3]

DETECTOR = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.tensorboard=false",
    "eval.batch_size=2",
    "device=cpu",
]

SEGMENTER = [
    "train.epochs=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.tensorboard=false",
    "data.augmentations=[]",
    "data.cache=false",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    """The shapes dataset: 4 train and 2 val images of 64 px, all readable."""
    root = tmp_path_factory.mktemp("unreadable_shapes") / "shapes"
    generate_shapes(root, num_train=4, num_val=2, size=64, seed=1)
    return root


def _empty_images(folder: Path, names: list[str] | None = None) -> None:
    """Empty the image files of ``folder`` (those named, or all of them)."""
    for path in sorted(folder.iterdir()):
        if names is None or path.name in names:
            path.write_bytes(b"")


def _shapes_copy(shapes: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(shapes, tmp_path / "shapes"))


def _folder_seg(root: Path, unreadable_split: str) -> Path:
    """folder_seg: 2 images of 64 px in train and in val, those of ``unreadable_split`` empty."""
    values = np.zeros((64, 64), np.uint8)
    values[8:24, 8:24] = 1
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for stem in ("a", "b"):
            image = root / "images" / split / f"{stem}.jpg"
            if split == unreadable_split:
                image.write_bytes(b"")
            else:
                cv2.imwrite(str(image), np.full((64, 64, 3), 90, np.uint8))
            cv2.imwrite(str(root / "masks" / split / f"{stem}.png"), values)
    (root / "classes.txt").write_text("road\n")
    return root


def _train_detector(run_tool, data: Path, work_dir: Path):
    return run_tool(
        "train.py", "configs/demo.yaml", "--work-dir", work_dir, "--set", *DETECTOR,
        f"data.root={data}",
    )  # fmt: skip


def _train_segmenter(run_tool, data: Path, work_dir: Path):
    return run_tool(
        "train.py", "configs/segmentation/unet_shapes.yaml", "--data",
        "configs/datasets/folder_seg.yaml", "--work-dir", work_dir, "--set", *SEGMENTER,
        f"data.root={data}",
    )  # fmt: skip


def _error_line(result, work_dir: Path) -> str:
    """The run's one error line (exit code 2, no traceback), with what to do in it."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-3000:]
    assert not any("Traceback" in line for line in lines), result.stderr[-3000:]
    assert lines[-1].startswith("train: error: "), lines[-1]
    assert lines[-1].endswith(
        f"check the files: detseg-check-data {work_dir / 'config.yaml'} (tools/check_data.py) "
        "lists the unreadable images"
    ), lines[-1]
    return lines[-1]


def _assert_no_checkpoint(work_dir: Path, line: str) -> None:
    assert not (work_dir / "best.pt").exists() and not (work_dir / "last.pt").exists()
    records = read_metrics(work_dir / "metrics.jsonl")
    assert not any(r["type"] in ("val", "epoch") for r in records)
    assert records[-1]["type"] == "error" and line.endswith(records[-1]["message"])


def test_detector_on_unreadable_train_images_stops_with_one_line(shapes, tmp_path, run_tool):
    data = _shapes_copy(shapes, tmp_path)
    _empty_images(data / "train" / "images")
    work_dir = tmp_path / "run"
    line = _error_line(_train_detector(run_tool, data, work_dir), work_dir)
    assert line.startswith(
        "train: error: epoch 0 took no training step: every batch it read was left out for "
        f"unreadable images (4 images skipped; images in {data / 'train' / 'images'}, listed "
        f"in {data / 'annotations' / 'instances_train.json'}); "
    ), line
    _assert_no_checkpoint(work_dir, line)


def test_segmenter_on_unreadable_train_images_stops_with_one_line(tmp_path, run_tool):
    data = _folder_seg(tmp_path / "seg", unreadable_split="train")
    work_dir = tmp_path / "run"
    line = _error_line(_train_segmenter(run_tool, data, work_dir), work_dir)
    assert line.startswith(
        "train: error: epoch 0 took no training step: every batch it read was left out for "
        f"unreadable images (2 images skipped; images in {data / 'images' / 'train'}); "
    ), line
    _assert_no_checkpoint(work_dir, line)


@pytest.mark.parametrize("task", ["detection", "segmentation"])
def test_unreadable_val_images_stop_the_run_before_best_pt(shapes, tmp_path, run_tool, task):
    work_dir = tmp_path / "run"
    if task == "detection":  # AP 0 of nothing
        data = _shapes_copy(shapes, tmp_path)
        _empty_images(data / "val" / "images")
        result = _train_detector(run_tool, data, work_dir)
        files = (
            f"images in {data / 'val' / 'images'}, listed in "
            f"{data / 'annotations' / 'instances_val.json'}"
        )
    else:  # mIoU nan
        data = _folder_seg(tmp_path / "seg", unreadable_split="val")
        result = _train_segmenter(run_tool, data, work_dir)
        files = f"images in {data / 'images' / 'val'}"
    line = _error_line(result, work_dir)
    assert line.startswith(
        "train: error: validation after epoch 0 scored no image: every val image it read was "
        f"unreadable (2 images skipped; {files}), so its metric cannot pick best.pt; "
    ), line
    assert not (work_dir / "best.pt").exists() and not (work_dir / "last.pt").exists()
    records = read_metrics(work_dir / "metrics.jsonl")
    assert [r["type"] for r in records if r["type"] != "setup"][-2:] == ["epoch", "error"]


def test_one_unreadable_image_per_split_is_skipped_and_counted_apart(shapes, tmp_path, run_tool):
    """The run trains and scores the other images; the summary counts the train and the val
    split's unreadable images apart, the val one included."""
    data = _shapes_copy(shapes, tmp_path)
    _empty_images(data / "train" / "images", names=["000001.png"])
    _empty_images(data / "val" / "images", names=[sorted(data.glob("val/images/*"))[0].name])
    work_dir = tmp_path / "run"
    result = _train_detector(run_tool, data, work_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        "Skipped images: train 1, val 1 (unreadable); dropped train boxes: 0 (images and boxes "
        "counted each time read)." in result.stdout
    )
    assert (work_dir / "best.pt").is_file() and (work_dir / "last.pt").is_file()
    records = read_metrics(work_dir / "metrics.jsonl")
    (epoch,) = [r for r in records if r["type"] == "epoch"]
    assert epoch["skipped_images"] == 1 and epoch["iteration"] == 2
    (val,) = [r for r in records if r["type"] == "val"]
    assert val["skipped_images"] == 1


def test_checkpoints_of_earlier_epochs_stay_when_an_epoch_reads_nothing(shapes, tmp_path):
    data = _shapes_copy(shapes, tmp_path)
    sets = [*DETECTOR, "train.epochs=2", "train.eval_every=1", f"data.root={data}"]
    cfg = load_config(REPO / "configs" / "demo.yaml", sets)
    work_dir = tmp_path / "run"

    def after_step(state) -> None:
        if state.iteration == 2:  # epoch 0's last step: its checkpoints follow
            _empty_images(data / "train" / "images")
        if state.iteration > 2:  # epoch 1 must take no step
            raise AssertionError(f"step {state.iteration} on unreadable images")

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.raises(UnreadableImagesError, match=r"^epoch 1 took no training step: "):
            train(cfg, work_dir, after_step=after_step)
    finally:
        torch.set_num_threads(threads)
    for name in ("best.pt", "last.pt"):
        meta = torch.load(work_dir / name, map_location="cpu", weights_only=False)["meta"]
        assert meta["run"]["epoch"] == 1 and meta["iteration"] == 2, name  # epoch 0 done
    records = read_metrics(work_dir / "metrics.jsonl")
    assert [r["epoch"] for r in records if r["type"] == "val"] == [0]
    assert records[-1]["type"] == "error" and records[-1]["epoch"] == 1


_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.config import load_config
    from detseg.engine import train
    from detseg.engine.training.unreadable_images import UnreadableImagesError

    config, work_dir, *sets = ARGS
    try:
        train(load_config(config, sets), work_dir)
    except UnreadableImagesError as err:
        print("error", err)
    else:
        print("no error")
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()
    """
)


def test_every_process_stops_when_one_process_reads_only_unreadable_images(shapes, tmp_path):
    """Two processes, one train image each: the one that rank k reads is unreadable, so each
    step is left out on both; rank 1 - k counted no unreadable image of its own and stops from
    the summed count, with the same line, which counts its readable image left out too."""
    data = _shapes_copy(shapes, tmp_path)
    images = data / "train" / "images"
    _empty_images(images, names=["000000.png"])
    train_json = data / "annotations" / "instances_train.json"
    gt = json.loads(train_json.read_text())
    gt["images"] = [i for i in gt["images"] if i["file_name"].endswith(("0.png", "1.png"))]
    kept = {i["id"] for i in gt["images"]}
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in kept]
    train_json.write_text(json.dumps(gt))
    work_dir = tmp_path / "run"
    sets = [*DETECTOR, "train.batch_size=1", f"data.root={data}"]
    args = [str(REPO / "configs" / "demo.yaml"), str(work_dir), *sets]
    outputs = run_two_processes(_WORKER.replace("ARGS", repr(args)), tmp_path)
    expected = (
        "error epoch 0 took no training step: every batch it read was left out for unreadable "
        f"images (1 image skipped; images in {images}, listed in {train_json}), and 1 "
        "readable image with them, as one process's batch left out leaves the step out on "
        "every process; "
    )
    for out in outputs:
        assert out.splitlines()[-1].startswith(expected), out[-2000:]
    assert not (work_dir / "best.pt").exists() and not (work_dir / "last.pt").exists()


_TOTALS_WORKER = textwrap.dedent(
    """
    import json

    import torch.distributed as torch_dist

    from detseg.config import load_config
    from detseg.engine import train
    from detseg.engine.training.run_summary import skipped_images_line

    config, work_dir, *sets = ARGS
    result = train(load_config(config, sets), work_dir)
    print(json.dumps(result.totals))
    print(skipped_images_line(result))
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()
    """
)


def test_readable_images_left_out_with_another_process_s_step_are_counted(shapes, tmp_path):
    """Two processes, two steps of one image each, one image unreadable: the step it falls in
    is left out on both processes, so the other process's readable image of that step is not
    trained on either; the totals and the summary count it apart from the unreadable one."""
    data = _shapes_copy(shapes, tmp_path)
    _empty_images(data / "train" / "images", names=["000000.png"])
    work_dir = tmp_path / "run"
    sets = [*DETECTOR, "train.batch_size=1", f"data.root={data}"]
    args = [str(REPO / "configs" / "demo.yaml"), str(work_dir), *sets]
    outputs = run_two_processes(_TOTALS_WORKER.replace("ARGS", repr(args)), tmp_path)
    for out in outputs:
        totals_line, summary = out.splitlines()[-2:]
        totals = json.loads(totals_line)
        assert (totals["iterations"], totals["skipped_images"]) == (1, 1), totals
        assert totals["left_out_images"] == 1, totals
        assert summary.startswith(
            "Skipped images: train 1, val 0 (unreadable; and 1 readable train image left out "
            "with the steps another process's unreadable batch dropped); dropped train boxes: "
        )
    epochs = [r for r in read_metrics(work_dir / "metrics.jsonl") if r["type"] == "epoch"]
    assert [(r["skipped_images"], r["left_out_images"]) for r in epochs] == [(1, 1)]

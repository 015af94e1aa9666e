"""Loader workers end after an error, and a process that caught the error exits promptly.

The workers ignore SIGTERM (:func:`detseg.data.loader_workers.seed_worker`). When the error's
traceback, held in a reference cycle, is freed by the garbage collector together with the
loader's iterator, the iterator's queues used to close before it could tell its workers to
stop: the workers stayed alive and the interpreter waited for them at exit. Each case runs a
script in a subprocess that catches the error, keeps it in such a cycle, collects it and ends;
a normal exit takes a few seconds, a hang reaches the timeout.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from detseg.data.shapes import generate_shapes

TIMEOUT = 60  # s; the script ends in a few seconds

SCRIPT = textwrap.dedent(
    """
    import gc, sys
    from detseg.command_line import run_command
    from detseg.data.loader import build_loader
    from detseg.data.registry import build_dataset
    from detseg.data.seg_loader import build_segmentation_loader
    from detseg.data.train_loader import build_train_loader
    from detseg.data.transforms import build_augmentations
    from detseg.data.seg_transforms import build_segmentation_augmentations

    root, kind, failure = sys.argv[1:4]
    side = 512 if failure == "worker" else 16  # a crop larger than the 64 px images fails

    def main():
        spec = [{"name": "RandomCrop", "height": side, "width": side}]
        if kind == "segmentation":
            augmentations = build_segmentation_augmentations(spec, seed=0)
            data = {"format": "shapes_seg", "root": root}
        else:
            augmentations = build_augmentations(spec, seed=0)
            data = {"format": "coco", "root": root}
        dataset = build_dataset(data, "train", augmentations)
        if kind == "train":
            loader = build_train_loader(dataset, 1, 1, seed=0)
        elif kind == "segmentation":
            loader = build_segmentation_loader(dataset, 1, False, 1)
        else:
            loader = build_loader(dataset, 1, False, 1)
        for _ in loader:
            if failure == "step":
                raise RuntimeError("the training step failed")
            if failure == "interrupt":
                raise KeyboardInterrupt
        return 0

    def caught():
        try:
            run_command(main, "train")
        except BaseException as error:
            saved = error  # a cycle: error -> traceback -> this frame -> saved
            print("exit code", saved.code if isinstance(saved, SystemExit) else type(saved))

    caught()
    gc.collect()  # frees the cycle and the loader's iterator with it
    print("script ended", flush=True)
    """
)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=2, num_val=1, size=64, seed=0)
    return root


def run_script(tmp_path, root, kind: str, failure: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), str(root), kind, failure],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,  # raises TimeoutExpired when the workers keep the process alive
    )


@pytest.mark.parametrize("kind", ["detection", "train", "segmentation"])
def test_worker_error_is_one_line_and_the_process_exits(tmp_path, shapes, kind):
    done = run_script(tmp_path, shapes, kind, "worker")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["exit code 2", "script ended"]
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("train: error: ")
    assert "(RandomCrop) cannot run on this 64 x 64 (W x H) image" in lines[0]


@pytest.mark.parametrize(
    ("failure", "code"), [("step", "<class 'RuntimeError'>"), ("interrupt", "130")]
)
def test_main_process_error_with_workers_alive_exits(tmp_path, shapes, failure, code):
    done = run_script(tmp_path, shapes, "train", failure)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"exit code {code}", "script ended"]

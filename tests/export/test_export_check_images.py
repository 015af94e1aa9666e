"""The images of the export check: the val split of the checkpoint's config where it can be
read, else generated noise with a line saying why; images given by name (``--verify-images``)
before both. The report's first line says which were used."""

from __future__ import annotations

import pytest
import torch
from stub_export_results import stub_export_result

from detseg.data.image_io import read_image
from detseg.data.shapes import generate_shapes
from detseg.export import ExportError, export_model, verify_export
from detseg.export.check_images import NOISE, check_images, noise_images

from .conftest import TINY_MODELS, one_step_checkpoint


def _shapes_checkpoint(tmp_path, root):
    return one_step_checkpoint(tmp_path / "best.pt", TINY_MODELS["faster_rcnn"], data_root=root)


def test_the_val_split_of_the_checkpoint_config_is_checked_on(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=4, size=64, seed=0)
    checkpoint = _shapes_checkpoint(tmp_path, root)
    result = export_model(checkpoint, tmp_path / "m.pt", format="torchscript", input_size=(96, 96))
    chosen = check_images(result)
    val_images = sorted((root / "val" / "images").iterdir())[:3]
    assert chosen.name == "val-split images"
    assert chosen.source.startswith("checked on 3 val-split images of the checkpoint's config")
    assert str(root / "val" / "images") in chosen.source and val_images[0].name in chosen.source
    assert [tuple(b.shape) for b in chosen.batches] == [(1, 3, 96, 96)] * 3
    first = torch.nn.functional.interpolate(
        read_image(val_images[0])[None], size=(96, 96), mode="bilinear", antialias=True
    )
    assert torch.allclose(chosen.batches[0], first.clamp(0, 1), atol=1e-6)
    report = verify_export(result)
    assert report.lines()[0] == chosen.source and report.passed


def test_a_missing_dataset_falls_back_to_noise_and_says_why(tmp_path):
    checkpoint = _shapes_checkpoint(tmp_path, tmp_path / "gone")
    result = export_model(checkpoint, tmp_path / "m.pt", format="torchscript", input_size=(96, 96))
    chosen = check_images(result)
    assert chosen.name == NOISE
    assert chosen.source.startswith(
        "checked on 3 random-noise check images (the val split of the checkpoint's config "
        f"cannot be read: its data.root '{tmp_path / 'gone'}' is not a folder here)"
    )
    assert all(torch.equal(a, b) for a, b in zip(chosen.batches, noise_images(result), strict=True))
    lines = verify_export(result, tolerance=None).lines()
    assert lines[0] == chosen.source


def test_a_val_split_the_reader_refuses_falls_back_with_its_error(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=1, size=64, seed=0)
    (root / "annotations" / "instances_val.json").unlink()
    checkpoint = _shapes_checkpoint(tmp_path, root)
    result = export_model(checkpoint, tmp_path / "m.pt", format="torchscript", input_size=(96, 96))
    source = check_images(result).source
    assert source.startswith("checked on 3 random-noise check images (the val split of the ")
    assert "instances_val.json" in source and "\n" not in source


def test_given_images_come_first_and_fit_a_dynamic_check(tmp_path, tiny_model):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=1)
    result = export_model(
        tiny_model("unet"),
        tmp_path / "u.pt",
        format="torchscript",
        dynamic=True,
        input_size=(64, 64),
    )
    folder = root / "val" / "images"
    chosen = check_images(result, [str(folder)])
    assert chosen.name == "given images" and str(folder / "000000.png") in chosen.source
    assert [tuple(b.shape) for b in chosen.batches] == [
        (1, 3, 64, 64),
        (2, 3, 49, 64),
        (1, 3, 64, 83),
        (1, 3, 32, 32),
    ]
    assert torch.equal(chosen.batches[0][0], read_image(folder / "000000.png"))
    assert verify_export(result, image_paths=[str(folder)]).passed
    # a model exported without a checkpoint has no val split: noise, and the line says so
    assert "without a checkpoint config" in check_images(result).source


def test_verify_images_names_a_missing_path_in_one_line(run_tool, demo_checkpoint, tmp_path):
    missing = tmp_path / "nowhere"
    done = run_tool(
        "export.py", demo_checkpoint, "--out", tmp_path / "x.onnx", "--verify-images", missing
    )
    assert done.returncode == 2, done.stderr
    assert f"--verify-images: input not found: {missing}" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and not (tmp_path / "x.onnx").exists()


def test_verify_images_are_named_in_the_tool_report(run_tool, demo_checkpoint, tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=2)
    image = root / "val" / "images" / "000001.png"
    done = run_tool(
        "export.py",
        demo_checkpoint,
        "--format",
        "torchscript",
        "--out",
        tmp_path / "x.pt",
        "--verify-images",
        image,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[2] == f"checked on 1 given image ({image}), resized to the check sizes"


def test_verify_images_with_no_verify_is_refused(run_tool, demo_checkpoint, tmp_path):
    done = run_tool("export.py", demo_checkpoint, "--verify-images", tmp_path, "--no-verify")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith("--verify-images names the images of the check that --no-verify skips")
    )


def test_an_unreadable_given_image_is_one_export_error(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    result = stub_export_result(tmp_path / "f.onnx", input_size=(32, 32))
    with pytest.raises(ExportError) as caught:
        check_images(result, [str(bad)])
    message = str(caught.value)
    assert message.startswith(f"check images: cannot read image {bad}") and "\n" not in message


def test_an_unreadable_verify_image_stops_the_tool_before_the_export(
    run_tool, demo_checkpoint, tmp_path
):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    out = tmp_path / "x.onnx"
    done = run_tool("export.py", demo_checkpoint, "--out", out, "--verify-images", bad)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f"--verify-images: cannot read image {bad}" in last and last.endswith("readable images")
    assert "Traceback" not in done.stderr and not out.exists()

"""The words of the export check's image choice: a missing ``--verify-images`` name is not
called "not a camera index or a stream URL" (the flag takes neither), an existing file that is
no image is still called unreadable; and the line of a check on noise explains where a
relative ``data.root`` is read from only for a relative root, not an absolute one."""

from __future__ import annotations

import dataclasses

import pytest
from stub_export_results import stub_export_result

from detseg.export.check_images import NOISE, check_images, given_images_problem
from detseg.export.wrappers import ExportError


def test_a_missing_file_names_no_camera_or_stream(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problem = given_images_problem(["nope.png"], 4)
    assert problem == "input not found: nope.png (no such file or folder); check the path"
    with pytest.raises(ExportError) as raised:
        check_images(stub_export_result(), ["nope.png"])
    assert "camera" not in str(raised.value) and "stream" not in str(raised.value)
    assert "input not found: nope.png (no such file or folder)" in str(raised.value)


def test_a_file_that_is_no_image_is_called_unreadable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    problem = given_images_problem(["notes.txt"], 4)
    assert problem is not None and problem.startswith("cannot read image notes.txt"), problem


def test_a_pattern_keeps_its_words(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    problem = given_images_problem(["*.jpg"], 4)
    assert problem == "no file matches the pattern *.jpg; check the folder and the pattern"


def test_an_absolute_root_gets_no_relative_root_words(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "datasets" / "gone"
    data = {"format": "coco", "root": str(gone), "launch_folder": str(tmp_path / "project")}
    chosen = check_images(dataclasses.replace(stub_export_result(), data=data))
    assert chosen.name == NOISE
    assert chosen.source.endswith(f"its data.root {str(gone)!r} is not a folder here)")
    assert "relative root" not in chosen.source and "trained from" not in chosen.source


def test_a_relative_root_keeps_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = {"format": "coco", "root": "datasets/gone"}
    chosen = check_images(dataclasses.replace(stub_export_result(), data=data))
    assert chosen.source.endswith(
        f"is not a folder here (a relative root is read from the working folder, {tmp_path}))"
    )

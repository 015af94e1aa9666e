"""``tools/convert_dataset.py`` with a source that is not a dataset folder: one line saying what
it is, exit code 2."""

from __future__ import annotations


def test_a_file_given_as_source_is_named_a_file(tmp_path, run_tool):
    source = tmp_path / "labels.txt"
    source.write_text("0 0.5 0.5 0.2 0.2\n")
    result = run_tool(
        "convert_dataset.py", "--from", "yolo", "--to", "coco", source, tmp_path / "out"
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"convert_dataset: error: {source} is a file, not a dataset folder; give the yolo folder"
    ]
    assert not (tmp_path / "out").exists()


def test_a_coco_json_of_the_default_layout_is_told_its_folder(tmp_path, run_tool):
    source = tmp_path / "annotations" / "instances_train.json"
    source.parent.mkdir()
    source.write_text("{}")
    result = run_tool(
        "convert_dataset.py", "--from", "coco", "--to", "yolo", source, tmp_path / "out"
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"convert_dataset: error: {source} is a COCO json, not a dataset folder: give the "
        f"dataset folder {tmp_path}, which holds it as annotations/instances_train.json"
    ]
    assert not (tmp_path / "out").exists()


def test_a_missing_source_is_not_found(tmp_path, run_tool):
    source = tmp_path / "nowhere"
    result = run_tool("convert_dataset.py", "--from", "voc", "--to", "coco", source, tmp_path / "o")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"convert_dataset: error: dataset folder not found: {source}"
    ]


def test_a_missing_data_file_is_named_a_data_file(tmp_path, run_tool):
    source = tmp_path / "my set" / "data.yaml"
    result = run_tool(
        "convert_dataset.py", "--from", "yolo", "--to", "coco", source, tmp_path / "o"
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"convert_dataset: error: data file not found: {source}"
    ]

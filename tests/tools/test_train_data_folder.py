"""tools/train.py CONFIG --data FOLDER: one error line that names the data file inside the
folder, or says that it holds none and how to give one."""

from __future__ import annotations

from pathlib import Path

from detseg.config.data_root import layouts_text

REPO = Path(__file__).resolve().parents[2]


def _error_lines(run_tool, folder: Path, tmp_path: Path) -> list[str]:
    trained = run_tool(
        "train.py", REPO / "configs/demo.yaml", "--data", folder, "--work-dir", tmp_path / "run"
    )
    assert trained.returncode == 2, trained.stdout
    assert not (tmp_path / "run").exists()
    return trained.stderr.strip().splitlines()


def test_a_dataset_folder_without_a_data_file(run_tool, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    assert _error_lines(run_tool, folder, tmp_path) == [
        f"train: error: {folder} is a folder, not a data file, and holds none (no .yaml in "
        f"it); write one (detseg-check-data {folder} tells the layout it finds), or give the "
        "packaged data file of the layout it should have with the folder as its root (--data "
        f"datasets/FORMAT --set data.root={folder}; the layouts: {layouts_text()})"
    ]


def test_a_dataset_folder_holding_its_data_yaml(run_tool, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "data.yaml").write_text("names: [a]\ntrain: images/train\nval: images/val\n")
    assert _error_lines(run_tool, folder, tmp_path) == [
        f"train: error: {folder} is a folder, not a data file; give the data file inside it: "
        f"{folder / 'data.yaml'}"
    ]

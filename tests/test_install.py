"""``pip install .`` (not editable) into a fresh venv gives every ``detseg-*`` command, each
naming itself by its command in its usage and error lines, the LICENSE file, and the configs:
``detseg-train demo`` trains from any folder.

The venv sees this environment's site-packages through a ``.pth`` file, so the dependencies
(torch, ...) and pip are not installed again; detseg itself and
``detseg_tools`` (tools/) come from the wheel built from a copy of the sources.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "detseg", "tools", "configs")

pytestmark = pytest.mark.slow


def _installed_python(venv: Path, code: str, check: bool = True) -> subprocess.CompletedProcess:
    """``code`` run by the venv's python from the venv's parent folder (not a checkout, whose
    metadata folders and packages ``-c`` would see first)."""
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd=venv.parent,
        check=check,
    )


def _commands(venv: Path) -> list[str]:
    """The console commands the installed distribution declares."""
    code = (
        "from importlib.metadata import distribution\n"
        "for ep in distribution('detseg').entry_points:\n"
        "    print(ep.name) if ep.group == 'console_scripts' else None"
    )
    result = _installed_python(venv, code)
    return sorted(result.stdout.split())


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    env_dir = root / "venv"
    # pip comes from this environment too (through the .pth file): none is installed there
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "detseg_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    # a plain `pip install .` (its isolated build environment checks pyproject's build
    # requirements); the installed modules are byte-compiled when they are first imported
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    result = subprocess.run(
        [*pip, "--no-compile", str(source)],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return env_dir


def test_installed_package_is_the_wheel_not_the_checkout(venv):
    code = "import detseg, detseg_tools; print(detseg.__file__); print(detseg_tools.__file__)"
    result = _installed_python(venv, code)
    for line in result.stdout.split():
        assert line.startswith(str(venv)), line


def test_every_command_answers_help(venv):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"

    def run(command: str, flag: str = "--help") -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / command), flag],
            capture_output=True,
            text=True,
            env=env,
            cwd=venv.parent,
            timeout=300,
        )

    commands = _commands(venv)
    assert {
        "detseg-train",
        "detseg-infer",
        "detseg-eval",
        "detseg-export",
        "detseg-convert",
    } <= set(commands)
    with ThreadPoolExecutor(4) as pool:
        results = dict(zip(commands, pool.map(run, commands), strict=True))
        errors = dict(
            zip(commands, pool.map(lambda c: run(c, "--no-such-flag"), commands), strict=True)
        )
    for command, result in results.items():
        assert result.returncode == 0, f"{command}: {result.stderr[-1500:]}"
        assert result.stdout.startswith(f"usage: {command} "), result.stdout[:200]
        assert "python tools/" not in result.stdout, f"{command}: {result.stdout}"
        # the configs by their packaged names: a pip install has no configs/ folder
        assert "configs/" not in result.stdout, f"{command}: {result.stdout}"
    for command, result in errors.items():
        assert result.returncode == 2, f"{command}: {result.stderr[-1500:]}"
        assert result.stderr.startswith(f"usage: {command} "), result.stderr[:200]
        last = result.stderr.splitlines()[-1]
        assert last.startswith(f"{command}: error: "), f"{command}: {last}"


def test_installed_user_error_names_the_command(venv, tmp_path):
    """An error line of ``run_command`` (not argparse's) names the installed command too."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    missing = tmp_path / "missing.pt"
    result = subprocess.run(
        [str(venv / "bin" / "detseg-export"), str(missing)],
        capture_output=True,
        text=True,
        env=env,
        cwd=venv.parent,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("detseg-export: error: "), result.stderr[-2000:]
    assert str(missing) in result.stderr


def test_license_file_is_in_the_distribution(venv):
    code = (
        "from importlib.metadata import distribution\n"
        "dist = distribution('detseg')\n"
        "print(dist.metadata.get_all('License-File'))\n"
        "print(dist.read_text('licenses/LICENSE').splitlines()[0])"
    )
    result = _installed_python(venv, code, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["['LICENSE']", "MIT License"]


def _tiny_run_overrides(root: Path) -> list[str]:
    """``--set`` items of a one-iteration run of ``demo`` on the shapes images under ``root``."""
    from tiny_detector import tiny_faster_rcnn

    return [
        *tiny_faster_rcnn(),
        f"data.root={root}",
        "device=cpu",
        "train.batch_size=1",
        "train.max_iters=1",
        "train.num_workers=0",
        "train.tensorboard=false",
    ]


def test_installed_package_carries_every_config(venv):
    code = (
        "from detseg.config.packaged import packaged_config_dir\n"
        "folder = packaged_config_dir()\n"
        "print(folder)\n"
        "for p in sorted(folder.rglob('*')):\n"
        "    print(p.relative_to(folder).as_posix()) if p.is_file() else None"
    )
    result = _installed_python(venv, code)
    folder, *files = result.stdout.splitlines()
    assert folder.startswith(str(venv)), folder
    in_checkout = sorted(
        p.relative_to(REPO / "configs").as_posix()
        for p in (REPO / "configs").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert files == in_checkout


def test_installed_train_command_takes_a_packaged_config_by_name(venv, tmp_path):
    """From a folder outside the checkout: ``detseg-train --list-configs`` (names and the
    installed folder), ``detseg-train demo`` before a dataset exists (the error names
    ``detseg-make-shapes``), then ``detseg-train demo`` (its ``_base_`` in the package) for one
    iteration, whose checkpoint ``detseg-eval`` evaluates without any configs folder."""
    from detseg.data.shapes import generate_shapes

    root = tmp_path / "shapes"
    generate_shapes(root, num_train=4, num_val=2, num_test=0, size=64, seed=0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"

    def run(command: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / command), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=elsewhere,
            timeout=300,
        )

    listed = run("detseg-train", "--list-configs")
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"demo", "faster_rcnn/faster_rcnn_r50_fpn_coco", "datasets/voc"} <= set(names)
    folder = listed.stdout.splitlines()[-1].rsplit(" ", 1)[-1]  # where to copy a config from
    assert folder.startswith(str(venv)) and Path(folder, "demo.yaml").is_file(), folder

    no_data = run("detseg-train", "demo")  # before any dataset is made: how to make one
    assert no_data.returncode == 2, no_data.stderr[-2000:]
    last = no_data.stderr.splitlines()[-1]
    assert last.startswith("detseg-train: error: data.root 'datasets/shapes' is not a folder")
    assert "detseg-make-shapes --out datasets/shapes" in last, last

    trained = run("detseg-train", "demo", "--set", *_tiny_run_overrides(root))
    assert trained.returncode == 0, trained.stderr[-2000:]
    read = [line for line in trained.stderr.splitlines() if "the packaged config" in line]
    assert len(read) == 1 and str(venv) in read[0], trained.stderr[-2000:]
    run_dir = elsewhere / "runs" / "demo"
    assert (run_dir / "last.pt").is_file()
    assert "_base_" not in (run_dir / "config.yaml").read_text()  # resolved: no file behind it

    evaluated = run("detseg-eval", str(run_dir / "last.pt"), "--out", str(tmp_path / "eval"))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]

    unknown = run("detseg-train", "demp")
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines()[-1].startswith(
        "detseg-train: error: config file not found: demp (no such file, nor a packaged config"
    )
    assert "closest packaged configs: demo" in unknown.stderr


def test_installed_train_command_starts_its_own_processes(venv, tmp_path):
    """``detseg-train --nproc 2`` from the installed package: the launcher starts the installed
    ``detseg_tools/train.py`` twice, and the two processes train one run together."""
    from tiny_detector import tiny_faster_rcnn

    from detseg.data.shapes import generate_shapes

    root = tmp_path / "shapes"
    generate_shapes(root, num_train=4, num_val=2, num_test=0, size=64, seed=0)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    overrides = [
        *tiny_faster_rcnn(),
        f"data.root={root}",
        "device=cpu",
        "train.batch_size=1",
        "train.max_iters=1",
        "train.num_workers=0",
        "train.debug_ranks=true",
        "train.tensorboard=false",
    ]
    command = [str(venv / "bin" / "detseg-train"), str(REPO / "configs" / "demo.yaml")]
    command += ["--nproc", "2", "--work-dir", str(tmp_path / "run"), "--set", *overrides]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=venv.parent, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "run" / "last.pt").is_file()
    assert sorted(p.name for p in (tmp_path / "run" / "ranks").glob("*.jsonl")) == [
        "rank0.jsonl",
        "rank1.jsonl",
    ]

"""``detseg.engine.train``'s arguments from Python: a ``work_dir`` that is no path is one
``TypeError`` naming it (not ``os.fspath``'s "expected str, bytes or os.PathLike object"), and
a ``resume`` that is not ``True`` or ``False`` is refused (a string such as ``"no"`` is true);
a numpy bool is taken. Both are checked before anything is read or written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detseg.engine import train
from detseg.engine.checkpointing import CheckpointError

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo.yaml"


def test_a_work_dir_that_is_no_path():
    with pytest.raises(TypeError, match=r"^work_dir must be a folder path .*got None \(NoneType\)"):
        train(DEMO, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("resume", ["no", 1, None])
def test_resume_is_a_switch(tmp_path, resume):
    with pytest.raises(ValueError, match=r"^resume must be True or False, got "):
        train(DEMO, tmp_path / "run", resume=resume)
    assert not (tmp_path / "run").exists()


def test_a_numpy_bool_resumes(tmp_path):
    with pytest.raises(CheckpointError, match="cannot resume"):
        train(DEMO, tmp_path / "run", resume=np.bool_(True))

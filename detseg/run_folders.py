"""The checkpoint a run folder stands for: its ``best.pt``, else its ``last.pt``.

``detseg.load("runs/demo")`` and ``model.init_from: runs/demo`` both take a training run's
folder (``tools/train.py`` writes ``best.pt`` and ``last.pt`` there) and read the file this
rule picks; each caller logs the file it reads. Only :mod:`detseg.torch_files` is imported.
"""

from __future__ import annotations

from pathlib import Path

from detseg.torch_files import CheckpointError

__all__ = ["RUN_CHECKPOINTS", "run_checkpoint"]

#: The files of a run folder that stand for it, in order, with why that one is read.
RUN_CHECKPOINTS = (("best.pt", "its best checkpoint"), ("last.pt", "it has no best.pt"))


def run_checkpoint(folder: Path, give: str) -> tuple[Path, str]:
    """The checkpoint of the run folder ``folder`` and why it is the one read.

    Args:
        folder: an existing folder.
        give: what to give instead, ending the message of a folder without checkpoints.

    Returns:
        ``(folder / "best.pt", "its best checkpoint")``, else ``(folder / "last.pt", "it has
        no best.pt")``.

    Raises:
        CheckpointError: the folder holds neither; the message names it, the ``.pt`` files it
            holds (at most five) and ``give``.
    """
    for name, why in RUN_CHECKPOINTS:
        if (folder / name).is_file():
            return folder / name, why
    others = sorted(path.name for path in folder.glob("*.pt"))
    found = f" (it holds {', '.join(others[:5])})" if others else ""
    raise CheckpointError(f"{folder} is a folder without best.pt or last.pt{found}; give {give}")

"""A user error raised on one process of a distributed run reaches every process with its own
type where that type rebuilds it from its one line (a ``FileNotFoundError``: ``except
FileNotFoundError`` on rank 0 catches what rank 1 raised), and as the block's ``error_type``
where it cannot (an ``ImageReadError``, made from a path and a reason)
(:func:`~detseg.engine.runtime.failing_together.failing_together`)."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.config import ConfigError
    from detseg.data.image_io import ImageReadError
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.runtime.failing_together import failing_together

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    dist = DistInfo(rank=rank, world_size=2)
    failures = [
        FileNotFoundError("data.train_ann: COCO json not found: a.json"),
        ValueError("box 3 of image 7 has x2 < x1"),
        ImageReadError("b.jpg", "not an image"),
        PermissionError(13, "Permission denied", "/runs/x/metrics.jsonl"),
    ]
    for failure in failures:
        try:
            with failing_together(dist, ConfigError):
                if rank == 1:
                    raise failure
            print("error none")
        except Exception as err:
            print("error", type(err).__name__, str(err), getattr(err, "filename", ""))
    torch_dist.destroy_process_group()
    """
)


def test_every_process_raises_a_rebuildable_user_error_with_its_type(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=120)
    expected = [
        "error FileNotFoundError data.train_ann: COCO json not found: a.json None",
        "error ValueError box 3 of image 7 has x2 < x1 ",
        "error ConfigError cannot read image b.jpg: not an image ",
        # a copy of the error itself, errno and file kept (a tool's message names its --out)
        "error PermissionError [Errno 13] Permission denied: '/runs/x/metrics.jsonl' "
        "/runs/x/metrics.jsonl",
    ]
    for rank, out in enumerate(outputs):
        lines = out.splitlines()
        # rank 1 raises its own ImageReadError; rank 0 cannot rebuild it from the line
        assert lines[:2] == expected[:2], (rank, out)
        assert lines[2] == (
            expected[2] if rank == 0 else expected[2].replace("Config", "ImageRead")
        )
        assert lines[3] == expected[3], (rank, out)

"""Find the places that would stop a GPU step to wait for the device, from a CPU run.

On a GPU, a training step runs ahead of the device only while the host never needs a value
that the device computes: every ``.item()``, ``.tolist()``, ``bool(tensor)``, ``nonzero`` /
one-argument ``torch.where``, boolean-mask indexing, ``unique``, ``torch.equal`` /
``torch.allclose`` or ``repeat_interleave`` by a tensor without ``output_size`` makes the host
wait.
:class:`HostSyncRecorder` records those calls while code runs on the CPU, with the detseg
function they come from, so a test can hold a model's ``losses`` to a short, named list of
synchronisations without a GPU. (``tools/benchmark.py model --profile`` counts the real ones on
CUDA.)

Not seen: copies to the host, ``.cpu()``, ``.to("cpu")`` and ``.numpy()``, which on a CPU tensor
dispatch no op at all; a model step calling them would wait for a GPU unseen here. No training
or inference step of detseg's models calls them (the one ``.cpu()`` of ``detseg/ops``, in
``roi_align_triton``, is its kernel's one-time self-check); ``--profile`` on CUDA counts them.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# aten ops whose result size or value the host must read back from the device
_SYNCING_OPS = {
    "aten::nonzero",
    "aten::_local_scalar_dense",  # .item(), bool(t), int(t), float(t)
    "aten::masked_select",
    "aten::_unique2",
    "aten::unique_dim",
    "aten::unique_consecutive",
    "aten::unique_dim_consecutive",
    "aten::_unique",
    "aten::bincount",  # on a GPU it reads the largest value to size its output
    "aten::equal",  # torch.equal: a Python bool
    "aten::allclose",  # torch.allclose: a Python bool
}
# ops that sync unless told their output size (``output_size=``): with it the GPU need not
# read the total of the repeats back
_SIZED_BY_THEIR_INPUT = {"aten::repeat_interleave"}
# ops that sync when one of their indices is a boolean mask
_MASK_INDEXED_OPS = {"aten::index", "aten::index_put", "aten::index_put_", "aten::_index_put_impl_"}
_PACKAGE = str(Path(__file__).resolve().parents[1])  # .../detseg


def _caller() -> str:
    """``module.function`` of the innermost detseg frame below this file (or ``<outside>``)."""
    for frame in reversed(traceback.extract_stack()):
        if frame.filename.startswith(_PACKAGE) and not frame.filename.endswith("host_syncs.py"):
            module = Path(frame.filename).relative_to(_PACKAGE).with_suffix("")
            return f"{'.'.join(module.parts)}.{frame.name}"
    return "<outside>"


def _has_mask_index(args: tuple[Any, ...]) -> bool:
    indices = args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else ()
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in indices)


class HostSyncRecorder(TorchDispatchMode):
    """Context manager recording the calls that would synchronise with a GPU.

    Attributes:
        sites: ``Counter`` of ``"module.function"`` (the detseg function that made the call,
            e.g. ``"detection.rpn.filter_proposals"``) -> number of calls.

    Example::

        with HostSyncRecorder() as recorder:
            model.losses(images, targets)
        print(recorder.sites.most_common())
    """

    def __init__(self) -> None:
        super().__init__()
        self.sites: Counter[str] = Counter()
        self._tolist: Callable[[torch.Tensor], Any] | None = None  # the unpatched method

    def __enter__(self) -> HostSyncRecorder:
        recorder = self
        original = torch.Tensor.tolist

        def tolist(tensor: torch.Tensor) -> Any:  # .tolist() reads every value back: one sync
            recorder.sites[_caller()] += 1
            return original(tensor)

        self._tolist = original
        # patching a method: the stubs type Tensor.tolist as (TensorBase) -> list
        torch.Tensor.tolist = tolist  # type: ignore[method-assign,assignment]
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        assert self._tolist is not None, "__exit__ follows __enter__"
        # unpatching: the original method, typed as the wrapper above
        torch.Tensor.tolist = self._tolist  # type: ignore[method-assign,assignment]
        return super().__exit__(*exc)

    def __torch_dispatch__(
        self,
        func: torch._ops.OpOverload,
        types: Sequence[type],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        name = func._schema.name
        if (
            name in _SYNCING_OPS
            or (name in _MASK_INDEXED_OPS and _has_mask_index(args))
            or (name in _SIZED_BY_THEIR_INPUT and (kwargs or {}).get("output_size") is None)
        ):
            self.sites[_caller()] += 1
        return func(*args, **(kwargs or {}))

    @property
    def total(self) -> int:
        """Calls recorded."""
        return sum(self.sites.values())

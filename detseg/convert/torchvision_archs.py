"""torchvision state dicts as detseg state dicts: which builder a file belongs to, and its
conversion through ``from_torchvision``'s key mapping.

A torchvision checkpoint file holds only tensors. To convert it, the torchvision model it was
saved from is rebuilt with ``weights=None`` (nothing is downloaded): the builder is the one of
:data:`TORCHVISION_ARCHS` whose state-dict keys equal the file's (found by building each
candidate on the ``meta`` device, which allocates nothing), and its class count is read from the
shapes of its class layers. The file is loaded into that model, which
:func:`detseg.convert.convert_torchvision` turns into a detseg model.

Checkpoints of torchvision's COCO weights come from models with frozen BatchNorm, which has no
``num_batches_tracked`` buffer. The rebuilt model (plain BatchNorm) has one per layer; the
converted state dict keeps only those the file holds. It is a plain dict, without the
``_metadata`` of a ``state_dict()``: BatchNorm reads such a dict as written before it had the
counter, so a model with plain BatchNorm loads it strictly and starts the missing counters at 0
(a dict carrying a ``_metadata`` of today's BatchNorm would be refused for them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torchvision import models as tv_models

from detseg.backbones.weights import download_commands
from detseg.choices.torchvision_archs import TORCHVISION_ARCHS
from detseg.convert import convert_torchvision
from detseg.torch_files import read_torch_file, state_mismatch

__all__ = [
    "TORCHVISION_ARCHS",
    "SAME_TENSORS",
    "TorchvisionState",
    "build_torchvision",
    "convert_torchvision_state",
    "hub_download_commands",
    "hub_weights_file",
    "read_state_dict",
    "read_weights",
    "read_weights_and_classes",
    "strip_wrapper_prefixes",
]

_WITH_AUX_HEAD = {"fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101"}
_WITH_AUX_HEAD |= {"deeplabv3_mobilenet_v3_large"}

#: Builders whose state dicts have the same tensor names and shapes as the key's but other
#: settings (the input size): finding the builder from the tensors (``arch=None``) names the
#: key, and a file of one of these converts to the key's settings unless the builder is named.
SAME_TENSORS: dict[str, tuple[str, ...]] = {
    "fasterrcnn_mobilenet_v3_large_fpn": ("fasterrcnn_mobilenet_v3_large_320_fpn",),
}


@dataclass
class TorchvisionState:
    """A torchvision state dict converted to detseg.

    Attributes:
        arch: The torchvision builder the tensors belong to.
        num_classes: Its class count, background included (torchvision's convention).
        state: The detseg state dict (detseg key names).
        model_cfg: ``{"name": ..., **kwargs}`` that rebuilds the converted architecture.
        categories: Foreground class names of torchvision's weights when the class count is
            theirs, else ``None``.
    """

    arch: str
    num_classes: int
    state: dict[str, Tensor]
    model_cfg: dict[str, Any]
    categories: list[str] | None


def build_torchvision(arch: str, num_classes: int, aux_loss: bool = False) -> nn.Module:
    """torchvision's ``arch`` with random weights (``weights=None``, no backbone weights)."""
    kwargs: dict[str, Any] = {"weights": None, "weights_backbone": None}
    kwargs["num_classes"] = num_classes
    if arch in _WITH_AUX_HEAD:
        kwargs["aux_loss"] = aux_loss
    return tv_models.get_model(arch, **kwargs)


#: What a torchvision file should be, ending the messages of one that is not.
STATE_DICT_FILE = "a torchvision state-dict file (.pth)"


#: Entries of a checkpoint dict that hold its state dict (detseg and torchvision's references
#: write ``model``, Lightning and many training scripts ``state_dict``), tried in order.
WEIGHT_ENTRIES = ("model", "state_dict")
#: Name prefixes of a wrapped model's tensors: ``DistributedDataParallel`` / ``DataParallel``
#: (``module.``) and ``torch.compile`` (``_orig_mod.``).
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def read_state_dict(path: str | os.PathLike, give: str = STATE_DICT_FILE) -> dict[str, Tensor]:
    """The tensors of a checkpoint file: a state dict, or a dict holding one under ``model``
    or ``state_dict`` (see :func:`read_weights`)."""
    return read_weights(path, give)[0]


def read_weights(
    path: str | os.PathLike, give: str = STATE_DICT_FILE
) -> tuple[dict[str, Tensor], str | None]:
    """The tensors of a checkpoint file, and the entry of the file's dict that held them.

    The file holds a state dict, or a dict holding one under ``model`` or ``state_dict``
    (:data:`WEIGHT_ENTRIES`). A prefix every tensor name has because the model was saved
    wrapped (:data:`WRAPPER_PREFIXES`: ``module.`` of DDP, ``_orig_mod.`` of
    ``torch.compile``) is removed.

    Args:
        path: The file (``~`` is expanded).
        give: What to give instead, ending the messages of a file that is not one.

    Returns:
        ``(state dict, entry)``: ``entry`` is ``None`` for a bare state dict, else the key of
        :data:`WEIGHT_ENTRIES` that held them (a detseg checkpoint's ``model``: the weights
        ``detseg.load`` and ``tools/eval.py`` use, also for a ``last.pt`` that holds EMA
        weights beside them).

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is not a torch checkpoint or holds no tensors (a
            ``CheckpointError``, one line, see
            :func:`detseg.torch_files.read_torch_file`).
    """
    state, entry, _ = read_weights_and_classes(path, give)
    return state, entry


def read_weights_and_classes(
    path: str | os.PathLike, give: str = STATE_DICT_FILE
) -> tuple[dict[str, Tensor], str | None, list[str] | None]:
    """:func:`read_weights`, and the ``classes`` a detseg checkpoint states.

    Returns:
        ``(state dict, entry, classes)``: ``classes`` is the foreground names in label order
        of a detseg checkpoint (``model``, ``config`` and ``classes``), ``None`` for any other
        file.

    Raises:
        FileNotFoundError, ValueError: See :func:`read_weights`.
    """
    path = Path(path).expanduser()
    if not path.is_file() and not path.is_dir():
        raise FileNotFoundError(f"weights file not found: {path}; give {give}")
    data = read_torch_file(path, give)
    classes = _class_names(data)
    entry: str | None = None
    if isinstance(data, Mapping):
        entry = next((k for k in WEIGHT_ENTRIES if _holds_tensors(data.get(k))), None)
        data = data[entry] if entry is not None else data
    if not _holds_tensors(data):
        raise ValueError(f"{path} holds no state dict (a mapping of names to tensors); give {give}")
    state = {str(k): v for k, v in data.items() if isinstance(v, Tensor)}
    return strip_wrapper_prefixes(state), entry, classes


def _class_names(data: Any) -> list[str] | None:
    """The ``classes`` list of a detseg checkpoint (a dict with ``model``, ``config`` and
    ``classes``, whose weights have detseg names), else ``None``."""
    detseg = isinstance(data, Mapping) and {"model", "config", "classes"} <= data.keys()
    names = data["classes"] if detseg else None
    if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
        return list(names)
    return None


def _holds_tensors(data: Any) -> bool:
    return isinstance(data, Mapping) and any(isinstance(v, Tensor) for v in data.values())


def strip_wrapper_prefixes(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """``state`` without the :data:`WRAPPER_PREFIXES` that every one of its names has
    (``module._orig_mod.backbone...`` -> ``backbone...``); other names are left alone."""
    while state:
        prefix = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in state)), None)
        if prefix is None:
            break
        state = {key[len(prefix) :]: value for key, value in state.items()}
    return state


#: The name ending of BatchNorm's batch counters.
_COUNTER = "num_batches_tracked"
#: The value a counter the file lacks gets before conversion (no count is negative), to find
#: its detseg twin afterwards.
_ABSENT_COUNTER = -1


def _keys_without_counters(keys: Any) -> set[str]:
    return {k for k in keys if not k.endswith(_COUNTER)}


def _identify(state: Mapping[str, Tensor], source: str = "<state dict>") -> tuple[str, int, bool]:
    """``(arch, num_classes, aux_loss)`` of a torchvision state dict.

    Raises:
        ValueError: No builder of :data:`TORCHVISION_ARCHS` has these keys.

    Builders that differ only in settings have the same tensors (e.g. the two MobileNetV3
    Faster R-CNNs, whose input sizes differ): the first of them is named, and its conversion
    gives the same detseg tensors as the others would.
    """
    keys = _keys_without_counters(state)
    aux = any(k.startswith("aux_classifier.") for k in keys)
    for arch, default_classes in TORCHVISION_ARCHS.items():
        if aux and arch not in _WITH_AUX_HEAD:
            continue
        with torch.device("meta"):
            candidate = build_torchvision(arch, default_classes, aux).state_dict()
        if _keys_without_counters(candidate) != keys:
            continue
        return arch, _class_count(state, candidate, default_classes), aux
    raise ValueError(
        f"{source}: the tensors match no torchvision model with a detseg twin "
        f"({', '.join(TORCHVISION_ARCHS)})"
    )


def _class_count(
    state: Mapping[str, Tensor], candidate: Mapping[str, Tensor], default_classes: int
) -> int:
    """The class count of ``state``: class layers scale their first dimension with it."""
    for key, reference in candidate.items():
        shape = state[key].shape if key in state else reference.shape
        if reference.dim() and shape != reference.shape and shape[1:] == reference.shape[1:]:
            # cls_score [C, F] vs [91, F]; cls_logits [A * C, ...] vs [A * 91, ...]
            return shape[0] * default_classes // reference.shape[0]
    return default_classes


def convert_torchvision_state(
    state: Mapping[str, Tensor], arch: str | None = None, source: str = "<state dict>"
) -> TorchvisionState:
    """Convert a torchvision state dict to detseg key names (and the detseg architecture).

    Args:
        state: torchvision tensors (e.g. ``torch.load`` of a hub checkpoint file).
        arch: The builder they belong to; ``None`` finds it from the keys.
        source: Name used in error messages (the file).

    Returns:
        The :class:`TorchvisionState`; its state dict holds the BatchNorm counters
        (``num_batches_tracked``) that ``state`` holds, no others.

    Raises:
        ValueError: Unknown ``arch``, or tensors that fit no (or not this) builder.
    """
    if arch is None:
        arch, num_classes, aux = _identify(state, source)
    else:
        if arch not in TORCHVISION_ARCHS:
            raise ValueError(
                f"unknown torchvision architecture {arch!r}; choose one of "
                f"{', '.join(TORCHVISION_ARCHS)}"
            )
        aux = any(k.startswith("aux_classifier.") for k in state)
        with torch.device("meta"):
            candidate = build_torchvision(arch, TORCHVISION_ARCHS[arch], aux).state_dict()
        num_classes = max(1, _class_count(state, candidate, TORCHVISION_ARCHS[arch]))
    tv_model = build_torchvision(arch, num_classes, aux)
    mismatch = state_mismatch(tv_model.state_dict(), state)
    if mismatch:
        raise ValueError(f"{source} does not fit {arch} ({mismatch}); {_fitting_arch(state, arch)}")
    tv_model.load_state_dict(dict(state), strict=False)  # BatchNorm counters may be absent
    tv_state = tv_model.state_dict()  # the model's own tensors: marking them marks the model
    for key in tv_state:
        if key.endswith(_COUNTER) and key not in state:
            tv_state[key].fill_(_ABSENT_COUNTER)  # carried through the key mapping, then dropped
    model, model_cfg = convert_torchvision(tv_model.eval())
    converted = {
        key: value
        for key, value in model.state_dict().items()
        if not (key.endswith(_COUNTER) and int(value) == _ABSENT_COUNTER)
    }
    categories = None
    if num_classes == TORCHVISION_ARCHS[arch]:
        meta = tv_models.get_model_weights(arch).DEFAULT.meta
        categories = list(meta["categories"][1:])
    return TorchvisionState(arch, num_classes, converted, model_cfg, categories)


def _fitting_arch(state: Mapping[str, Tensor], arch: str) -> str:
    """What to do about tensors that do not fit builder ``arch``: name the one they fit."""
    try:
        fitting = _identify(state)[0]
    except ValueError:
        return "its tensors fit no torchvision builder with a detseg twin"
    if fitting == arch:  # the names fit, the shapes do not
        return f"it holds {arch}'s tensor names with other shapes (other settings?)"
    return f"give the builder it was saved from (its tensors fit {fitting}), or auto"


def hub_weights_file(arch: str) -> Path:
    """The torch hub cache file of torchvision's default weights for ``arch``.

    Raises:
        ValueError: Unknown ``arch``.
        FileNotFoundError: The file is not in the cache; the message says how to download it.
    """
    path = _hub_path(arch)
    if not path.is_file():
        weights = tv_models.get_model_weights(arch).DEFAULT
        raise FileNotFoundError(
            f"torchvision:{arch}: the weights {weights} are not in the torch hub cache "
            f"({path}); {hub_download_commands(arch)}, or set model.init_from to the file's path"
        )
    return path


def hub_download_commands(arch: str) -> str:
    """``"download them on a machine with internet access with `python -c ...` or `curl ...`"``:
    two ways to put torchvision's default weights for ``arch`` in the torch hub cache
    (:func:`detseg.backbones.weights.download_commands`).

    Raises:
        ValueError: Unknown ``arch``.
    """
    path = _hub_path(arch)
    weights = tv_models.get_model_weights(arch).DEFAULT
    return download_commands(arch, "DEFAULT", weights.url, path)


def _hub_path(arch: str) -> Path:
    """``<torch hub dir>/checkpoints/<file name of torchvision's default weights for arch>``.

    Raises:
        ValueError: Unknown ``arch``.
    """
    if arch not in TORCHVISION_ARCHS:
        raise ValueError(
            f"torchvision:{arch} is not a torchvision model with a detseg twin; choose one of "
            f"{', '.join(TORCHVISION_ARCHS)}"
        )
    weights = tv_models.get_model_weights(arch).DEFAULT
    return Path(torch.hub.get_dir()) / "checkpoints" / weights.url.rsplit("/", 1)[-1]

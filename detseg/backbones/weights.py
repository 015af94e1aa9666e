"""Load torchvision ImageNet weights into a backbone's torchvision network, never downloading.

``weights`` accepted by every backbone builder:

- ``None``: random initialisation (torchvision's own init).
- a path (``str`` or ``os.PathLike``) to a file holding a torchvision classifier state dict
  (what ``torch.save(torchvision.models.resnet50(...).state_dict(), path)`` writes, i.e. the
  files torchvision downloads); a dict with a ``"state_dict"`` or ``"model"`` entry is unwrapped.
- ``"imagenet"``: torchvision's ``IMAGENET1K_V1`` file for the architecture (the weights
  torchvision's detection and segmentation models start from), looked up by its file name
  in ``torch.hub.get_dir()/checkpoints/`` (``~/.cache/torch/hub/checkpoints`` by default,
  ``$TORCH_HOME/hub/checkpoints`` when ``TORCH_HOME`` is set). Any other torchvision weight
  name such as ``"IMAGENET1K_V2"`` works the same way.

The weights are loaded strictly into the *complete* torchvision classifier before the
backbone drops its classifier layers (VGG: into its ``features``, from the file's
``features.*`` keys), so a file for another architecture or width fails.

A model rebuilt from a checkpoint (``detseg.load``, ``load_model``) gets every weight from the
checkpoint: its builder runs inside :func:`weight_files_not_read`, where the backbone is built
as for its ``weights`` (frozen BatchNorm, trainable stages) but no file is read, so a
checkpoint trained from ImageNet weights loads on a machine that lacks them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import torch
import torchvision
from torch import nn

from detseg.shell_words import shell_word
from detseg.torch_files import load_state_error, read_torch_file, state_mismatch

logger = logging.getLogger(__name__)

WeightsSpec = str | os.PathLike | None

#: Set inside :func:`weight_files_not_read`: :func:`load_torchvision_weights` reads nothing.
_READ_WEIGHT_FILES = contextvars.ContextVar("detseg_read_weight_files", default=True)


@contextlib.contextmanager
def weight_files_not_read() -> Iterator[None]:
    """Within this block, backbones are built as for their ``weights`` but no weights file
    is read (:func:`load_torchvision_weights` returns at once): for a model whose every
    tensor is loaded afterwards, from a checkpoint."""
    token = _READ_WEIGHT_FILES.set(False)
    try:
        yield
    finally:
        _READ_WEIGHT_FILES.reset(token)


#: Per-channel mean and standard deviation of ImageNet's RGB images in ``[0, 1]``: the input
#: normalisation torchvision's ImageNet weights were trained with, and so the default of every
#: detseg model (detection transforms and segmentation models alike).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_file_name(arch: str, version: str = "IMAGENET1K_V1") -> str:
    """File name torchvision gives the ImageNet weights of ``arch`` (read from its weight enum).

    Args:
        arch: torchvision model name, e.g. ``"resnet50"``.
        version: weight enum member, e.g. ``"IMAGENET1K_V1"``.

    Returns:
        The file's base name, e.g. ``"resnet50-0676ba61.pth"``.

    Raises:
        ValueError: if torchvision has no such weights for ``arch``.
    """
    return os.path.basename(imagenet_url(arch, version))


def imagenet_url(arch: str, version: str = "IMAGENET1K_V1") -> str:
    """Address torchvision downloads the ImageNet weights of ``arch`` from (its weight enum's).

    Raises:
        ValueError: if torchvision has no such weights for ``arch``.
    """
    enum = torchvision.models.get_model_weights(arch)
    names = [member.name for member in enum]
    if version not in names:
        raise ValueError(f"torchvision has no {version!r} weights for {arch}; choose from {names}.")
    return str(enum[version].url)


def download_commands(builder: str, weights: str, url: str, path: str | os.PathLike) -> str:
    """Two ways to put torchvision's weights file at ``path`` (detseg never downloads).

    Args:
        builder: torchvision builder name, e.g. ``"resnet50"`` or ``"fasterrcnn_resnet50_fpn"``.
        weights: its weight enum member, e.g. ``"IMAGENET1K_V1"`` or ``"DEFAULT"``.
        url: the file's address (the enum member's ``url``).
        path: where the file goes (in the torch hub cache, ``<hub dir>/checkpoints/<name>``).

    Returns:
        ``"download them on a machine with internet access with `python -c ...` or
        `curl -L <url> --create-dirs -o <path>`"``: torchvision's own download into the hub
        cache, or the file alone (its folder created when missing).
    """
    python = (
        f"python -c \"import torchvision; torchvision.models.get_model('{builder}', "
        f"weights='{weights}')\""
    )
    curl = f"curl -L {url} --create-dirs -o {shell_word(path)}"
    return f"download them on a machine with internet access with `{python}` or `{curl}`"


def resolve_weights_path(weights: str | os.PathLike, arch: str) -> Path:
    """Turn a ``weights`` spec (not ``None``) into an existing local file path.

    Args:
        weights: a file path, ``"imagenet"`` or a torchvision weight name ``"IMAGENET1K_*"``
            (case-insensitive).
        arch: torchvision model name, for the file look-up and messages.

    Returns:
        The path of the existing file.

    Raises:
        FileNotFoundError: naming the missing file and the folder to put it in.
        ValueError: if torchvision has no such ImageNet weights for ``arch``.
    """
    spec = os.fspath(weights)
    if spec == "imagenet" or spec.upper().startswith("IMAGENET1K_"):
        version = "IMAGENET1K_V1" if spec == "imagenet" else spec.upper()
        file_name = imagenet_file_name(arch, version)
        folder = Path(torch.hub.get_dir()) / "checkpoints"
        path = folder / file_name
        if not path.is_file():
            raise FileNotFoundError(
                f"{arch} {version} weights not found: expected {file_name} in {folder}. "
                "detseg never downloads; "
                f"{download_commands(arch, version, imagenet_url(arch, version), path)}, "
                f"or copy torchvision's {file_name} there (or set TORCH_HOME), or set "
                "model.backbone_weights=<path to the file> (or "
                f"model.backbone_weights=null: random init) in the config (from Python: "
                f"weights='<path>' or weights=None)."
            )
        return path
    path = Path(spec).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"{arch} weights file not found: {path}. Pass an existing torchvision state-dict "
            f"file, 'imagenet' (looked up in {Path(torch.hub.get_dir()) / 'checkpoints'}) or None "
            f"(in a config: model.backbone_weights=<path> | imagenet | null)."
        )
    return path


def load_torchvision_weights(
    net: nn.Module, weights: WeightsSpec, arch: str, prefix: str = ""
) -> None:
    """Load ``weights`` (see the module docstring) into the torchvision network ``net``.

    Args:
        net: the complete torchvision classifier (e.g. ``torchvision.models.resnet50()``), or
            with ``prefix`` the submodule the file stores under that prefix.
        weights: ``None`` (nothing happens, as inside :func:`weight_files_not_read`), a file
            path or ``"imagenet"``.
        arch: torchvision model name, for the file look-up and messages.
        prefix: e.g. ``"features."``: load only the file's keys under it (prefix removed),
            strictly; the file's other keys are ignored.

    Raises:
        FileNotFoundError: when the file is missing.
        ValueError: when the file is not a checkpoint, or its keys or shapes do not fit
            ``net`` (one line: how many tensors differ, with an example).
    """
    if weights is None or not _READ_WEIGHT_FILES.get():
        return
    path = resolve_weights_path(weights, arch)
    give = f"a torchvision {arch} state-dict file"
    state = read_torch_file(path, give)
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds no state dict (a mapping of names to tensors); give {give}")
    if prefix:
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    # names and shapes, BatchNorm counters aside (frozen BatchNorm drops them); then strictly
    mismatch = state_mismatch(net.state_dict(), state)
    if mismatch is None:
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as error:  # torch's first reason, not its list of every tensor
            mismatch = load_state_error(error)
    if mismatch is not None:
        raise ValueError(f"{path} does not hold {arch} weights of this shape ({mismatch})")
    logger.info("loaded %s weights from %s", arch, path)

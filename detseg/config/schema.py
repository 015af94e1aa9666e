"""The config schema: one dataclass per section (see :mod:`detseg.config`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from detseg.choices.compile_modes import CompileMode
from detseg.choices.detection_metrics import DetectionMetric
from detseg.choices.torchvision_archs import TORCHVISION_ARCHS, TORCHVISION_INIT_PREFIX
from detseg.choices.training_options import LrScaling, NonFiniteAction, OptimizerName, ScheduleName
from detseg.choices.tta_modes import TtaMode, tta_scales_problem
from detseg.config.suggest import did_you_mean
from detseg.named_settings import SettingError


class ConfigError(SettingError):
    """A config file or override is invalid; the message says where and how to fix it.

    A ``ValueError``. Where the message names an override, it names it as the caller gave it
    (a :class:`~detseg.named_settings.SettingError`): ``overrides=['train.epochs=two']`` in
    ``str(error)``, ``--set train.epochs=two`` in ``error.naming({"overrides": "--set"})``,
    as the tools write it (:func:`~detseg.config.error_blame.overrides_named`).
    """


#: Keys of the model section that are not builder keyword arguments.
MODEL_RUN_KEYS = ("name", "init_from", "compile")


@dataclass
class ModelConfig:
    """Model section: ``name`` (a key of ``detseg.models.MODELS``), its builder kwargs,
    ``init_from``: the weights a training run starts from (a detseg checkpoint, a torchvision
    state-dict file, or ``torchvision:<builder name>``; see ``detseg.convert.init_weights``),
    and ``compile``: ``torch.compile`` of the training forward pass.

    ``compile`` is ``none`` (default), ``backbone`` (the feature extractor: a detector's
    backbone with its FPN, a segmenter's encoder; ``model.backbone`` of every detseg model) or
    ``all`` (the whole loss computation, ``model.losses``). It is applied in place with
    ``nn.Module.compile``, so state-dict keys and checkpoints do not change; evaluation and
    inference from a checkpoint run uncompiled. Compilation costs time at the first steps, and
    again for every new input shape: detection inputs are padded to a multiple of 32
    (``size_divisible``), which keeps the shapes few, and a fixed-size crop in the
    augmentations keeps them to one."""

    name: str = ""
    init_from: str | None = None
    compile: CompileMode = "none"
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_torchvision_init(self.init_from)

    def to_dict(self) -> dict[str, Any]:
        """Flat form ``{"name": ..., **kwargs}`` (plus ``init_from`` and ``compile`` when
        set), the model section of a checkpoint's config. :meth:`builder_dict` is the input of
        ``build_model``."""
        flat: dict[str, Any] = {"name": self.name, **self.kwargs}
        if self.init_from is not None:
            flat["init_from"] = self.init_from
        if self.compile != "none":
            flat["compile"] = self.compile
        return flat

    def builder_dict(self) -> dict[str, Any]:
        """``{"name": ..., **kwargs}``: what ``build_model`` takes."""
        return builder_section(self.to_dict())


def check_torchvision_init(init_from: str | None) -> None:
    """A ``model.init_from`` of the form ``torchvision:<builder>`` names a torchvision builder
    with a detseg twin (``detseg.choices.torchvision_archs.TORCHVISION_ARCHS``); a file path
    or null is checked when the run starts.

    Raises:
        ConfigError: ``model.init_from 'torchvision:fasterrcnn_resnet50' names no torchvision
            builder with a detseg twin; did you mean ...``.
    """
    if init_from is None or not init_from.startswith(TORCHVISION_INIT_PREFIX):
        return
    arch = init_from[len(TORCHVISION_INIT_PREFIX) :]
    if arch not in TORCHVISION_ARCHS:
        hint = did_you_mean(arch, TORCHVISION_ARCHS, prefix=TORCHVISION_INIT_PREFIX)
        raise ConfigError(
            f"model.init_from {init_from!r} names no torchvision builder with a detseg twin"
            f"{hint} (known: {', '.join(TORCHVISION_ARCHS)}); or give a detseg checkpoint or a "
            "torchvision state-dict file"
        )


def builder_section(model_section: dict[str, Any]) -> dict[str, Any]:
    """A flat model section without ``init_from`` and ``compile`` (:data:`MODEL_RUN_KEYS`
    but ``name``): the input of ``build_model``."""
    return {k: v for k, v in model_section.items() if k == "name" or k not in MODEL_RUN_KEYS}


@dataclass
class DataConfig:
    """Data section: dataset format, root folder, augmentations and format-specific keys."""

    format: str = "coco"
    root: str = ""
    augmentations: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat form ``{"format", "root", "augmentations", **options}``."""
        return {
            "format": self.format,
            "root": self.root,
            "augmentations": list(self.augmentations),
            **self.options,
        }

    def dataset_kwargs(self) -> dict[str, Any]:
        """Everything ``build_dataset`` needs: the flat section without ``augmentations``."""
        flat = self.to_dict()
        del flat["augmentations"]
        return flat


#: The lowest value of each bounded key of ``train`` (null, where the key allows it, is valid).
TRAIN_AT_LEAST: dict[str, float] = {
    "epochs": 1,
    "max_iters": 1,
    "batch_size": 1,
    "accumulate": 1,
    "base_batch_size": 1,
    "warmup_iters": 0,
    "num_workers": 0,
    "prefetch_factor": 1,
    "log_every": 1,
    "eval_every": 1,
    "ema_warmup": 0,
    "patience": 1,
    "checkpoint_every": 1,
    "keep_checkpoints": 0,
    "tensorboard_images": 0,
    "weight_decay": 0.0,
    "profile_steps": 0,
    "profile_warmup": 0,
}


@dataclass
class TrainConfig:
    """Optimisation schedule. See ``configs/_base_/shapes_cpu.yaml`` for each key's meaning.

    The device keys: ``amp`` is ``auto`` (on CUDA bf16 where the GPU supports it, else fp16
    with a gradient scaler; float32 elsewhere), ``none``, ``bf16`` or ``fp16`` (CUDA only;
    float32 elsewhere). ``channels_last`` is ``auto`` (on CUDA only), ``true`` or ``false``: the
    weights of the model in ``torch.channels_last`` memory format. ``prefetch_factor``: batches
    each loader worker prepares ahead (with ``num_workers > 0``).

    Profiling (``tools/train.py --profile N``): ``profile_steps`` steps of rank 0 run under
    ``torch.profiler`` after ``profile_warmup`` steps of this process (0 = off; a shorter run
    profiles its last steps); the files land in ``WORK_DIR/profile/``
    (:mod:`detseg.engine.training.step_profiler`).
    """

    epochs: int = 12
    max_iters: int | None = None
    batch_size: int = 2
    lr: float = 0.02
    optimizer: OptimizerName = "sgd"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    warmup_iters: int = 500
    warmup_factor: float = 0.001
    schedule: ScheduleName = "multistep"
    milestones: list[int] = field(default_factory=lambda: [8, 11])
    gamma: float = 0.1
    power: float = 0.9
    grad_clip: float | None = None
    # Devices: amp and channels_last resolve per device (detseg.engine.runtime.device)
    amp: Literal["auto", "none", "bf16", "fp16"] = "auto"
    channels_last: Literal["auto", True, False] = "auto"
    num_workers: int = 2
    prefetch_factor: int = 2
    log_every: int = 20
    eval_every: int = 1
    # Scale (distributed runs, accumulation): effective batch = batch_size * processes * accumulate
    accumulate: int = 1
    lr_scaling: LrScaling = "linear"
    base_batch_size: int | None = None
    sync_bn: bool = False
    find_unused_parameters: bool = False
    aspect_ratio_groups: int = 0
    # Training features
    ema: bool = False
    ema_decay: float = 0.9998
    ema_warmup: int = 2000
    no_decay_norm_bias: bool = False
    patience: int | None = None
    on_nonfinite: NonFiniteAction = "stop"
    # No lost work, and records
    checkpoint_every: int | None = None
    keep_checkpoints: int = 1
    tensorboard: bool = True
    tensorboard_images: int = 4
    debug_ranks: bool = False
    # Profiling (detseg.engine.training.step_profiler)
    profile_steps: int = 0
    profile_warmup: int = 10

    def __post_init__(self) -> None:
        check_at_least(self, "train", TRAIN_AT_LEAST)
        check_above_zero(self, "train", ("lr", "gamma", "power", "grad_clip"))
        check_in_range(self, "train", "momentum", 0.0, 1.0, high_open=True)
        check_in_range(self, "train", "warmup_factor", 0.0, 1.0)
        if self.aspect_ratio_groups == 1 or self.aspect_ratio_groups < 0:
            raise ConfigError(
                f"train.aspect_ratio_groups must be 0 (off) or >= 2, got {self.aspect_ratio_groups}"
            )
        check_in_range(self, "train", "ema_decay", 0.0, 1.0, high_open=True)
        check_milestones(self.milestones)
        if not isinstance(self.channels_last, bool) and self.channels_last != "auto":
            raise ConfigError(
                f"train.channels_last must be auto, true or false, got {self.channels_last!r}"
            )


def check_milestones(milestones: list[int]) -> None:
    """``train.milestones`` (epochs) are ``>= 0`` and in increasing order (repeats allowed: two
    decays at one epoch), as the multistep schedule takes them.

    Raises:
        ConfigError: ``train.milestones must be increasing epochs >= 0, got [11, 8] ...``.
    """
    if list(milestones) != sorted(milestones) or any(m < 0 for m in milestones):
        raise ConfigError(
            f"train.milestones must be increasing epochs >= 0, got {list(milestones)}; "
            f"write them in order, e.g. {sorted(m for m in milestones if m >= 0)}"
        )


def check_at_least(section: Any, name: str, lows: dict[str, float]) -> None:
    """Each key of ``lows`` of dataclass ``section`` (config section ``name``) is ``None``
    (where its type allows) or at least its low.

    Raises:
        ConfigError: ``train.epochs must be >= 1, got 0``.
    """
    nullable = {f.name for f in dataclasses.fields(section) if f.default is None}
    for key, low in lows.items():
        value = getattr(section, key)
        if value is not None and value < low:
            alternative = " or null" if key in nullable else ""
            raise ConfigError(f"{name}.{key} must be >= {low}{alternative}, got {value}")


def check_above_zero(section: Any, name: str, keys: tuple[str, ...]) -> None:
    """Each of ``keys`` of ``section`` is ``None`` (where its type allows) or ``> 0``."""
    for key in keys:
        value = getattr(section, key)
        if value is not None and not value > 0:
            raise ConfigError(f"{name}.{key} must be > 0, got {value}")


def check_in_range(
    section: Any, name: str, key: str, low: float, high: float, high_open: bool = False
) -> None:
    """``section.<key>`` is in ``[low, high]`` (``[low, high)`` with ``high_open``)."""
    value = getattr(section, key)
    if not (low <= value < high if high_open else low <= value <= high):
        interval = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(f"{name}.{key} must be in {interval}, got {value}")


@dataclass
class CRFConfig:
    """``eval.crf``: the segmentation CRF of ``detseg.segmentation.crf.LocalCRF`` (its
    docstring explains each key). ``iterations: 0`` (the default) turns it off."""

    iterations: int = 0
    radius: int = 4
    spatial_sigma: float = 3.0
    color_sigma: float = 20.0
    appearance_weight: float = 1.0
    smoothness_weight: float = 0.0
    smoothness_sigma: float = 1.0

    def __post_init__(self) -> None:
        if self.iterations < 0 or self.radius < 1:
            raise ConfigError(
                f"eval.crf.iterations must be >= 0 and eval.crf.radius >= 1, got "
                f"{self.iterations} and {self.radius}"
            )
        for key in ("spatial_sigma", "color_sigma", "smoothness_sigma"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"eval.crf.{key} must be > 0, got {getattr(self, key)}")
        for key in ("appearance_weight", "smoothness_weight"):
            if getattr(self, key) < 0:
                raise ConfigError(f"eval.crf.{key} must be >= 0, got {getattr(self, key)}")


@dataclass
class EvalConfig:
    """Evaluation and inference settings. The segmentation keys ``tta``, ``tta_scales`` and
    ``crf`` apply in ``tools/eval.py`` and ``tools/infer.py`` (not to validation during
    training); see ``detseg.segmentation.inference``. ``metric`` is the detection metric of
    validation and ``tools/eval.py``: ``auto`` (``voc07`` for ``data.format: voc``, else
    ``coco``), ``coco``, ``voc07`` (11-point) or ``voc12`` (all-point) VOC AP at IoU 0.5 with
    difficult objects ignored; a VOC metric picks ``best.pt`` by VOC mAP (see
    ``detseg.evaluation.voc_coco``).

    Each factor of ``tta_scales`` resizes the images of every TTA view, so it must be in
    :data:`~detseg.choices.tta_modes.TTA_SCALE_RANGE` (``[0.25, 4]``, why there: its comment),
    checked by :func:`~detseg.choices.tta_modes.tta_scales_problem` as
    ``SegmentationInference(scales=...)`` checks its factors from Python."""

    score_threshold: float = 0.3
    backend: Literal["faster", "pycocotools"] = "faster"
    metric: DetectionMetric = "auto"
    max_images: int | None = None
    batch_size: int = 2
    val_loss: bool = True
    tta: TtaMode = "none"
    tta_scales: list[float] = field(default_factory=lambda: [1.0])
    crf: CRFConfig = field(default_factory=CRFConfig)

    def __post_init__(self) -> None:
        check_in_range(self, "eval", "score_threshold", 0.0, 1.0)
        check_at_least(self, "eval", {"max_images": 1, "batch_size": 1})
        problem = tta_scales_problem(self.tta_scales, "eval.tta_scales")
        if problem:
            raise ConfigError(problem)


#: The largest ``seed``: torch seeds a generator with an unsigned 64-bit number, and a run adds
#: the process rank and, on resume, the iteration to the seed (NumPy's generators refuse a
#: negative seed).
MAX_SEED = 2**63 - 1


@dataclass
class Config:
    """A whole experiment."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    device: str = "auto"
    seed: int = 0
    work_dir: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed}")

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain YAML/checkpoint-safe types (no ``_base_``)."""
        return {
            "model": self.model.to_dict(),
            "data": self.data.to_dict(),
            "train": dataclasses.asdict(self.train),
            "eval": dataclasses.asdict(self.eval),
            "device": self.device,
            "seed": self.seed,
            "work_dir": self.work_dir,
        }


# Sections whose unknown keys are collected into an "open" dict field instead of
# being errors: section dataclass -> name of the dict field.
OPEN_SECTIONS: dict[type, str] = {ModelConfig: "kwargs", DataConfig: "options"}

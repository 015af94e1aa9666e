"""Train a detector or a semantic segmenter from a YAML config.

    python tools/train.py configs/demo.yaml --set data.root=datasets/shapes
    python tools/train.py configs/demo.yaml --data configs/datasets/voc.yaml --set data.root=VOC2007
    python tools/train.py configs/yolo/yolov3_shapes.yaml --data my_dataset/data.yaml  # Ultralytics
    python tools/train.py configs/demo.yaml --work-dir runs/demo --resume
    python tools/train.py configs/demo.yaml --profile 20  # where a step's time goes
    python tools/train.py configs/segmentation/unet_shapes.yaml
    python tools/train.py configs/faster_rcnn/faster_rcnn_r50_fpn_coco.yaml --nproc 4  # 4 GPUs
    detseg-train faster_rcnn/faster_rcnn_r50_fpn_coco  # installed: a packaged config by name
    python tools/train.py --list-configs  # the packaged configs: name and what each is
    torchrun --nnodes 2 --nproc_per_node 8 ... tools/train.py CONFIG  # several machines

The recipe lives in :func:`detseg.engine.training.trainer.train` (read it top to bottom).
Everything lands in the work dir: ``config.yaml`` (the resolved config), ``metrics.jsonl``
(one JSON record per log step and per evaluation), ``tb/`` (TensorBoard), ``last.pt``
(resumable, with ``last.1.pt`` ... older copies) and ``best.pt``, ``curves.png``, and with
``--profile N`` ``profile/`` (``ops.txt``, ``trace.json``, ``summary.json``). Ctrl-C
or SIGTERM stops after the current step with a ``last.pt`` that ``--resume`` continues exactly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from detseg.command_line import TOOL_FLAGS, run_command, user_path
from detseg_tools.command_names import STARTED_AS_ENV, tool_name, tool_parser
from detseg_tools.config_flags import SetFlagArgumentParser, add_set_flag

# The modules that do the work (torch, the engine) are imported by the functions that use them,
# after the arguments are parsed: --help and argument errors come back at once.


#: The flag of each setting of ``detseg.engine.train`` that its errors name
#: (``detseg.named_settings.SettingError``): the tool's line names the flag its user typed
#: (``start without --resume``), not the keyword (``resume=True``); ``data_file`` is the data
#: file of ``detseg.config.load_config`` (``--data``).
TRAIN_FLAGS = {**TOOL_FLAGS, "resume": "--resume", "work_dir": "--work-dir", "data_file": "--data"}

#: The example command lines of ``--help``.
EXAMPLES = """\
    python tools/train.py configs/demo.yaml --set data.root=datasets/shapes
    python tools/train.py configs/demo.yaml --set train.max_iters=2 eval.max_images=2  # a quick try
    python tools/train.py configs/demo.yaml --data datasets/shapes_yolo/data.yaml
    python tools/train.py configs/demo.yaml --work-dir runs/demo --resume
    python tools/train.py configs/demo.yaml --profile 20   # where a step's time goes
    python tools/train.py configs/demo.yaml --nproc 2 --set device=cpu  # 2 CPU processes
    python tools/train.py yolo/yolov3_shapes               # a packaged config by name, any folder
    python tools/train.py --list-configs                   # the packaged configs"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = tool_parser(
        "train",
        SetFlagArgumentParser,
        argv=sys.argv[1:] if argv is None else argv,
        description="Train a detector or a segmenter; the packaged config "
        "configs/_base_/shapes_cpu.yaml documents every config key (--list-configs names the "
        "folder). Several processes or GPUs of this machine: --nproc N; several "
        "machines: launch with torchrun.\n\n" + EXAMPLES,
    )
    parser.add_argument(
        "config",
        type=user_path,
        nargs="?",
        help="experiment YAML: a file (my_config.yaml), else a config that comes with detseg, "
        "by its name from any folder (demo, faster_rcnn/faster_rcnn_r50_fpn_coco; see "
        "--list-configs); required unless --list-configs is given",
    )
    parser.add_argument(
        "--list-configs",
        action="store_true",
        help="print the configs that come with detseg (name and what it is) and exit",
    )
    add_set_flag(
        parser,
        "override config keys, parsed by the key's type",
        "--set train.epochs=2 train.max_iters=null data.root=datasets/shapes device=cpu "
        "model.min_size=256",
        "a mapping merges into the section (model.rpn={nms_thresh: 0.6} keeps the other rpn "
        "keys; model.rpn=null first replaces it); after model.name=X, KEY=null drops a key of "
        "the config's model that X does not take; ~ in a path is the home folder; write it "
        "after CONFIG",
    )
    parser.add_argument(
        "--data",
        type=user_path,
        default=None,
        metavar="FILE",
        help="train on this dataset: a data yaml (a file, a packaged one by name such as "
        "datasets/voc, or an Ultralytics data yaml with path/train/val/names) that replaces "
        "the config's data section, augmentations excepted; --set data.format=X also starts "
        "from format X's defaults",
    )
    parser.add_argument(
        "--work-dir",
        type=user_path,
        default=None,
        help="output folder (default: the config's work_dir, else runs/<config file stem>; "
        "~ is the home folder)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from WORK_DIR/last.pt (or its newest good older copy): weights, "
        "optimizer, schedule, EMA, position inside the epoch, RNG states",
    )
    parser.add_argument(
        "--nproc",
        type=int,
        default=1,
        metavar="N",
        help="train data-parallel in N processes of this machine: one per GPU on CUDA (N <= "
        "the GPUs), or N CPU processes that share the cores (OMP_NUM_THREADS = cores / N "
        "unless set). Ctrl-C stops every process after its step with a last.pt, as with one "
        "process. For several machines use torchrun instead (default: 1)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=None,
        metavar="N",
        help="profile N training steps (rank 0) with torch.profiler after train.profile_warmup "
        "steps (default 10; a shorter run profiles its last steps) and write WORK_DIR/profile/: "
        "ops.txt (top ops by self CUDA or CPU time), trace.json (chrome://tracing or "
        "ui.perfetto.dev) and summary.json (ms/step, data-wait share; on CUDA kernel launches "
        "and host syncs per step). Sets train.profile_steps=N; the other steps run unchanged",
    )
    args = parser.parse_args(argv)
    if args.list_configs:
        return args
    if args.config is None:  # argparse's own wording: the --set hint of error() looks for it
        parser.error("the following arguments are required: config")
    if args.profile is not None and args.profile < 0:
        parser.error(
            f"--profile {args.profile}: train.profile_steps must be >= 0, got {args.profile}; "
            "give the number of steps to profile"
        )
    if args.profile is not None:  # a config key like any other: --set train.profile_steps=N
        args.set = [*args.set, f"train.profile_steps={args.profile}"]
    if args.nproc < 1:
        parser.error(f"--nproc must be at least 1, got {args.nproc}")
    if args.nproc > 1 and "TORCHELASTIC_RUN_ID" in os.environ:
        parser.error("--nproc starts the processes itself: leave it out under torchrun")
    if args.nproc > 1 and os.name != "posix":
        parser.error("--nproc needs a POSIX system (Linux, macOS); launch with torchrun here")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_configs:
        return list_configs()
    from detseg.config import load_config
    from detseg.engine import train
    from detseg.engine.training.run_summary import summary_lines
    from detseg.named_settings import SettingError

    cfg = load_config(args.config, args.set, data_file=args.data)
    work_dir = _work_dir(args, cfg.work_dir)
    try:
        if args.nproc > 1 and os.environ.get("DETSEG_LAUNCHED") != "1":
            argv = sys.argv[1:] if argv is None else argv
            return launch_workers(args, work_dir, cfg.device, argv)
        logging.getLogger("train").info("config %s -> work dir %s", args.config, work_dir)
        result = train(cfg, work_dir, resume=args.resume)
    except SettingError as error:  # its settings named as the flags typed; its type (exit code)
        raise type(error)(error.naming(TRAIN_FLAGS)) from error
    except KeyboardInterrupt as interrupt:  # a second Ctrl-C: no summary, its line says it
        raise KeyboardInterrupt(_resume_hint(work_dir, args.nproc)) from interrupt
    if result.is_main:
        print("\n" + "\n".join(summary_lines(result)))
    return result.exit_code


def _resume_hint(work_dir: Path, nproc: int) -> str:
    """How to go on with a run stopped at once (a second Ctrl-C), for the ``interrupted`` line:
    resume from its ``config.yaml`` when ``work_dir`` holds a complete ``last.pt`` (or older
    copy); empty when it does not, and on the other processes of a distributed run."""
    from detseg.engine.checkpointing.rotation import older_copies
    from detseg.shell_words import shell_word
    from detseg.torch_files import is_complete

    last, config = work_dir / "last.pt", work_dir / "config.yaml"
    if os.environ.get("RANK", "0") != "0" or not config.is_file():
        return ""
    if not any(copy.is_file() and is_complete(copy) for copy in [last, *older_copies(last)]):
        return ""
    world = os.environ.get("WORLD_SIZE", "")  # set by torchrun, --nproc's or the user's own
    processes = int(world) if world.isdigit() else nproc
    processes = f" --nproc {processes}" if processes > 1 else ""
    return f"resume with {tool_name('train').command} {shell_word(config)} --resume{processes}"


def _work_dir(args: argparse.Namespace, cfg_work_dir: str | None) -> Path:
    """The run's folder: ``--work-dir``, else the config's ``work_dir`` (a ``--set work_dir=``
    item included), else ``runs/<config name>``; a ``--resume`` of a run's own ``config.yaml``
    without either continues the folder the file is in (:func:`_resumed_folder`)."""
    work_dir = args.work_dir or Path(cfg_work_dir or Path("runs") / args.config.stem)
    named = args.work_dir is not None or any(item.startswith("work_dir=") for item in args.set)
    if args.resume and not named:
        work_dir = _resumed_folder(args.config, work_dir)
    return work_dir


def _resumed_folder(config: Path, work_dir: Path) -> Path:
    """The folder ``--resume`` of ``config`` continues: a run's own ``config.yaml`` resumes the
    folder it is in (:func:`~detseg.run_folders.resumed_run_folder`: moved, copied, or named
    from another current folder), logged where its ``work_dir`` key says another; ``work_dir``
    for any other config."""
    from detseg.run_folders import resumed_run_folder

    folder = resumed_run_folder(config)
    if folder is None:
        return work_dir
    if folder.resolve() != work_dir.resolve():
        logging.getLogger("train").info(
            "resuming the run folder %s that holds %s (its work_dir %s is where the run started)",
            folder,
            config.name,
            work_dir,
        )
    return folder


def list_configs() -> int:
    """``--list-configs``: print :func:`detseg.config.packaged.config_listing`."""
    from detseg.config.packaged import config_listing

    for line in config_listing():
        print(line)
    return 0


def launch_workers(
    args: argparse.Namespace, work_dir: Path, cfg_device: str, argv: list[str]
) -> int:
    """``--nproc N``: this command again in N worker processes (the config is already known
    to load, so a config error is printed once, before any worker starts)."""
    from detseg.engine.runtime.launcher import check_process_count, launch_local
    from detseg.engine.training.run_start import check_resumable

    check_process_count(args.nproc, cfg_device)
    if args.resume:
        check_resumable(work_dir)
    logging.getLogger("train").info("starting %d processes", args.nproc)
    command = [sys.executable, str(Path(__file__).resolve()), *argv]
    name = tool_name("train")  # the workers' error lines name the command the user started
    env = {**os.environ, STARTED_AS_ENV: name.command} if name.installed else None
    return launch_local(command, args.nproc, name=name.error_name, env=env)


def cli() -> None:
    """The ``detseg-train`` command (``pip install`` puts it on the PATH)."""
    main_process = int(os.environ.get("RANK", "0")) == 0  # torchrun: only rank 0 logs
    logging.basicConfig(
        level=logging.INFO if main_process else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    if os.environ.get("DETSEG_LAUNCHED") == "1":  # --nproc's worker: the launcher said it
        logging.getLogger("detseg.config.packaged").setLevel(logging.WARNING)
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():
        run_command(main, tool_name("train").error_name)


if __name__ == "__main__":
    cli()

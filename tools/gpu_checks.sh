#!/usr/bin/env bash
# The GPU figures of docs/benchmarks.md, measured by one command on a CUDA machine:
#
#   bash tools/gpu_checks.sh OUT_DIR [suite] [tests] [demo] [loop]   (default: suite tests demo)
#
#   suite  tools/benchmark.py suite --device cuda: the target table (detseg vs torchvision,
#          train and infer), and the host syncs and kernel launches of a Faster R-CNN step
#          -> OUT_DIR/suite_cuda.md, suite_cuda.json, suite.log
#   tests  the CUDA tests (pytest -m cuda): parity of every torchvision twin on CUDA, an AMP
#          training step of every family, the Triton NMS against torchvision.ops.nms, the
#          sync counts -> OUT_DIR/cuda_tests.log
#   demo   `make demo` on the GPU (one process per GPU, bf16 by train.amp: auto), timed, with
#          its COCO metrics on the held-out test split -> OUT_DIR/demo.log, demo_metrics.json
#   loop   the training loop's speed: the demo model at batch 32 for 3 epochs on one GPU, its
#          `train` records (img_per_s, data_wait, gpu_util) and 20 profiled steps (--profile)
#          -> OUT_DIR/loop.log, loop_metrics.jsonl, loop_profile.json, loop_ops.txt (and
#          loop_data.log when it makes the shapes dataset first)
#
# Machine facts (GPU, driver, torch, GPU count, commit) go to OUT_DIR/machine.txt. Every stage has a
# time limit in seconds (SUITE_S, TESTS_S, DEMO_S, LOOP_S; default 330, 200, 600, 300), so that a
# cut stage still leaves its log, and the next stage runs. 15 minutes of device time, the machine's
# start included, fit `suite tests` (about 9 minutes with the start) and then `loop`; `demo` needs
# 15 minutes of its own. PY is the Python to use (default python3; it needs detseg's dependencies:
# albumentations, pycocotools, faster-coco-eval). `make demo` runs with that Python in place of the
# project's .venv. Exit status: 2 for an unknown option or stage (nothing runs), 1 when a stage
# failed or was cut, else 0.
set -u
usage="usage: bash tools/gpu_checks.sh OUT_DIR [suite] [tests] [demo] [loop]"
case "${1:-}" in
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "gpu_checks.sh: error: unknown option $1 ($usage)" >&2; exit 2 ;;
esac
out=${1:?$usage}
shift
stages=${*:-suite tests demo}
for stage in $stages; do  # all refused before anything starts: no half-run measurements
  case $stage in
    suite | tests | demo | loop) ;;
    *) echo "gpu_checks.sh: error: unknown stage '$stage': use suite, tests, demo or loop" >&2
       exit 2 ;;
  esac
done
PY=${PY:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 NO_ALBUMENTATIONS_UPDATE=1
status=0

{
  date -u
  git rev-parse --short HEAD 2>/dev/null || echo "commit unknown (not a git checkout)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  nproc
  "$PY" -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', \
torchvision.__version__, 'cuda', torch.version.cuda); print('gpus', torch.cuda.device_count())"
} >"$out/machine.txt" 2>&1

run_stage() {  # run_stage NAME LIMIT_S LOG COMMAND...: time-limited, logged, timed
  local name=$1 limit=$2 log=$3
  shift 3
  local start=$SECONDS
  timeout --signal=INT --kill-after=20 "$limit" "$@" >"$log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s (limit $limit s)" | tee -a "$out/machine.txt"
  [ "$rc" -eq 0 ] || status=1
}

for stage in $stages; do
  case $stage in
    suite)
      run_stage suite "${SUITE_S:-330}" "$out/suite.log" \
        "$PY" tools/benchmark.py suite --device cuda --out "$out/suite_cuda.md"
      ;;
    tests)
      # The project's addopts without xdist's -n (pytest-xdist may be missing there); the
      # importlib import mode stays: test files of the same name live in several folders.
      run_stage tests "${TESTS_S:-200}" "$out/cuda_tests.log" \
        "$PY" -m pytest -q -o addopts="-ra --import-mode=importlib" -m cuda tests
      ;;
    demo)
      # `make demo`'s own recipe with $PY: its setup step is satisfied by a marker file, so
      # make neither builds a virtual environment nor installs anything.
      venv=$(mktemp -d)
      touch "$venv/.installed"
      rm -rf runs/demo_gpu  # no figure of an earlier run passed off as this one's
      # machine.txt's GPU count: the Makefile's recursive DEMO_GPUS imports torch at each use
      gpus=$(sed -n 's/^gpus \([0-9][0-9]*\)$/\1/p' "$out/machine.txt")
      run_stage demo "${DEMO_S:-600}" "$out/demo.log" \
        make demo VENV="$venv" PY="$PY" DEMO_DIR=runs/demo_gpu DEMO_GPUS="${gpus:-0}"
      rm -r "$venv"
      cp runs/demo_gpu/eval/metrics.json "$out/demo_metrics.json" 2>/dev/null || true
      ;;
    loop)
      # the dataset first (about 10 s, untimed), logged apart: run_stage rewrites loop.log
      [ -f datasets/shapes/annotations/instances_test.json ] ||
        "$PY" tools/make_shapes.py --out datasets/shapes >"$out/loop_data.log" 2>&1
      run_stage loop "${LOOP_S:-300}" "$out/loop.log" \
        "$PY" tools/train.py configs/demo.yaml --work-dir runs/loop_gpu --profile 20 \
        --set data.root=datasets/shapes device=cuda train.batch_size=32 train.epochs=3 \
        train.num_workers=8 train.log_every=10 train.eval_every=3 eval.max_images=200
      cp runs/loop_gpu/metrics.jsonl "$out/loop_metrics.jsonl" 2>/dev/null || true
      cp runs/loop_gpu/profile/summary.json "$out/loop_profile.json" 2>/dev/null || true
      cp runs/loop_gpu/profile/ops.txt "$out/loop_ops.txt" 2>/dev/null || true
      ;;
  esac
done
exit $status

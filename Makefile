# The two commands of the README: `make demo` and `make test`.
# Each one creates the virtual environment first when it is missing.

VENV     := .venv
PY       := $(VENV)/bin/python
SHAPES   := datasets/shapes
DEMO_DIR := runs/demo

.PHONY: setup demo test lint typecheck clean-demo

setup: $(VENV)/.installed-dev

# torch/torchvision are pinned to the releases that lie on this machine's disk.
# The other packages at the versions of constraints.txt (those the measured figures ran with).
# Two steps: `make demo` needs the package and its dependencies (.installed); `make test`,
# `lint` and `typecheck` add the dev extra (pytest, ruff, mypy, onnxruntime ...: .installed-dev),
# which the demo does not wait for.
$(VENV)/.installed: pyproject.toml setup.py constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# train (fitting), val (checkpoint choice) and the held-out test split (the reported numbers).
$(SHAPES)/annotations/instances_test.json: | $(VENV)/.installed
	$(PY) tools/make_shapes.py --out $(SHAPES)

DEMO_IMAGES := $(SHAPES)/test/images/00000[0-7].png

# The demo trains data-parallel (tools/train.py --nproc, one process group like torchrun's): one
# process per GPU on a CUDA machine (mixed precision by the config's train.amp: auto, bf16 where
# the GPU has it), else DEMO_PROCS=2 processes on the CPU (gloo), each with batch 4 and an
# equal share of the cores. Two processes of one thread beat one process of two threads on a
# 2-core CPU (~1.5x: some CPU kernels, e.g. RoIAlign's backward, use one thread).
# These are recursive variables: they are read after `setup` has made the environment.
# DEMO_GPUS imports torch on its first use and keeps the count (a plain recursive variable
# would import torch again at each use).
DEMO_GPUS     = $(eval DEMO_GPUS := $$(shell $(PY) -c "import torch; print(torch.cuda.device_count())" 2>/dev/null || echo 0))$(DEMO_GPUS)
DEMO_ON_GPU   = $(filter-out 0,$(DEMO_GPUS))
DEMO_PROCS   ?= $(if $(DEMO_ON_GPU),$(DEMO_GPUS),2)
DEMO_DEVICE   = $(if $(DEMO_ON_GPU),device=cuda,device=cpu)
DEMO_THREADS  = $(shell n=$$(nproc 2>/dev/null || echo 2); t=$$((n / $(DEMO_PROCS))); \
                  if [ $$t -ge 1 ]; then echo $$t; else echo 1; fi)

demo: $(VENV)/.installed $(SHAPES)/annotations/instances_test.json
	OMP_NUM_THREADS=$(DEMO_THREADS) $(PY) tools/train.py configs/demo.yaml --nproc $(DEMO_PROCS) \
	  --work-dir $(DEMO_DIR) --set data.root=$(SHAPES) $(DEMO_DEVICE)
	$(PY) tools/eval.py $(DEMO_DIR)/best.pt --split test --out $(DEMO_DIR)/eval
	$(PY) tools/infer.py $(DEMO_DIR)/best.pt $(DEMO_IMAGES) --out $(DEMO_DIR)/predictions
	@echo ""
	@echo "Demo finished. Everything is under $(DEMO_DIR)/:"
	@echo "  checkpoints       $(DEMO_DIR)/best.pt, $(DEMO_DIR)/last.pt"
	@echo "  resolved config   $(DEMO_DIR)/config.yaml"
	@echo "  training log      $(DEMO_DIR)/metrics.jsonl, curves $(DEMO_DIR)/curves.png"
	@echo "  TensorBoard       tensorboard --logdir $(DEMO_DIR)/tb"
	@echo "  COCO metrics      $(DEMO_DIR)/eval/metrics.json (held-out test split), report $(DEMO_DIR)/eval/report.html"
	@echo "  annotated images  $(DEMO_DIR)/predictions/"

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check detseg tools tests
	$(VENV)/bin/ruff format --check detseg tools tests

typecheck: setup
	$(VENV)/bin/mypy detseg

clean-demo:
	rm -rf $(DEMO_DIR)

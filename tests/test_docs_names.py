"""The names the guides write in code exist: modules, attributes, files, flags, config keys.

Checked files: README.md and docs/{ARCHITECTURE,training,evaluation,segmentation,extending}.md
(not docs/benchmarks.md, a record of past runs). From each file the test takes its inline code
spans (text between matching runs of backticks, fenced blocks left out) and the lines of its
fenced blocks, and finds in them the references that resolve mechanically:

- ``detseg.a.b`` (or ``detseg_tools.a``) in a span, ``from detseg.a import b, c`` and
  ``import detseg.a`` in a block: a module, or an attribute of the longest importable module (a
  call ``(...)`` or index ``[...]`` after it is no part of the name). An attribute of a class
  may also be a dataclass field, an annotation or set by its code as ``self.name =``.
- ``first.rest`` in a span, where ``first`` is the stem of a module or package of detseg/
  (``suite_runner.run_suite``, ``config.sections.dataclass_from_dict``) or a class of detseg
  (``RoIHeads.sample``): it resolves as above for at least one of them.
- ``name(a, key=value)`` in a span, ``name`` bare or ``detseg.``-dotted: for a name that
  detseg defines (function, method, class), one of them takes every keyword written.
- Paths, the tokens with a ``/`` or a file suffix: one whose first part is an entry of the
  repository root (``tools/eval.py``, ``configs/demo.yaml``) or, in a span, a folder or module
  of detseg/ (``engine/training/trainer.py``, ``config/model_arg_rules``: ARCHITECTURE.md writes
  paths relative to a package) exists relative to the root, detseg/ or a folder of detseg/, as
  written or as a module (``.py`` added); a ``x/`` folder must be a folder. A bare ``name.py``
  or ``name.yaml`` is a file somewhere in the repository. Placeholders (``<stem>``, ``*``,
  ``{a,b}``, ``DIR``), data and run outputs (``datasets/...``, ``runs/...``), a lone folder
  name (``masks/``) and other bare file names (``metrics.json``) are not checked.
- Flags: a ``--flag`` after a tool (``tools/infer.py``, ``infer.py``, ``detseg-infer``) in one
  span or command line is an option of that tool's parser (of the ``benchmark.py`` command
  written after it, else of any of its commands); a ``--flag`` in a span without a tool is an
  option of some tool. The parsers are caught in process, as
  tests/tools/test_help_states_every_flag.py does. ``detseg-X`` is an installed command and
  ``make X`` a target of the Makefile.
- Config keys ``train.X``, ``eval.X[.Y]``, ``model.X[.Y]``, ``data.X`` in spans and non-Python
  blocks (not followed by ``(``, not a file name like ``train.py``): a field of
  ``TrainConfig`` / ``EvalConfig`` (and of ``CRFConfig`` below ``eval.crf``); for ``model`` a
  run key (``name``, ``init_from``, ``compile``) or a parameter of some builder of
  ``detseg.models.MODELS`` (below it, a field of the settings dataclass its annotation names;
  a plain dict parameter is not looked into); for ``data`` a ``DataConfig`` field or a key of
  some format in ``detseg.data.registry.DATA_DEFAULTS``.

Everything else (bare identifiers, torch names, shapes, prose) is not checked. ``ALLOWED``
lists the mentions that look like one of the above but are no reference to this repository,
each with its reason; every entry must still be written in the docs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_reference_checks import problem
from doc_references import Reference, references

ROOT = Path(__file__).resolve().parents[1]
DOCS = (
    "README.md",
    "docs/ARCHITECTURE.md",
    "docs/training.md",
    "docs/evaluation.md",
    "docs/segmentation.md",
    "docs/extending.md",
)

#: Mentions that look like references but are none, by kind; each with its reason.
ALLOWED: dict[str, set[str]] = {
    "name": {
        "predictor.stream",  # a Predictor instance in an example, not the api/predictor module
        "predictor.checkpoint",  # the same instance's attribute
        "loss.size",  # the nested config key model.loss.size, not segmentation/loss.py
        "loss.boundary_weight",  # the nested config key model.loss.boundary_weight
    },
    "path": {
        "data.yaml",  # an Ultralytics data file of the user's dataset
        "a.yaml",  # placeholder config names in the _base_ composition example
        "b.yaml",
        "config.yaml",  # the resolved config a run writes into its folder
        "voc_eval.py",  # the VOC devkit / py-faster-rcnn script whose AP the docs compare to
        "utils.py",  # named as the file the project does not have
        "coco/yolo",  # "format coco or yolo" in an error message, not a path
    },
    "flag": {
        "--pdb",  # a pytest flag
        "--dist",  # pytest-xdist's flag
        "--logdir",  # tensorboard's flag
    },
    "key": {
        "model.losses",  # the method of a detseg model, not a config key
        "model.predict",  # the method of a detseg model, not a config key
        "model.has_masks",  # an attribute of a detseg model object, not a config key
    },
}


def problems(refs: list[Reference]) -> list[str]:
    """``where: kind `text`: reason`` for every reference that does not resolve."""
    found = []
    for ref in refs:
        if ref.text in ALLOWED.get("name" if ref.kind == "short" else ref.kind, set()):
            continue
        reason = problem(ref)
        if reason:
            found.append(f"{ref.where}: {ref.kind} `{ref.text}`: {reason}")
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_every_reference_of_the_doc_resolves(doc):
    refs = references((ROOT / doc).read_text(encoding="utf-8"), doc)
    assert refs, f"{doc}: no references found"
    wrong = problems(refs)
    assert not wrong, "\n".join(wrong)


def test_the_extraction_finds_each_kind():
    text = (
        "Call `detseg.config.as_config(x)` and `suite_runner.run_suite`; see\n"
        "`engine/training/trainer.py`, `tools/eval.py` and `configs/demo.yaml`; run\n"
        "`tools/infer.py CKPT --score-thr 0.5`; set `train.amp` or `model.loss.kind`.\n"
        "```bash\npython tools/eval.py run.pt \\\n  --metric voc07\n```\n"
        "```python\nfrom detseg.models import MODELS, build_model\n```\n"
    )
    found = {(r.kind, r.text, r.tool) for r in references(text)}
    assert {
        ("name", "detseg.config.as_config", ""),
        ("short", "suite_runner.run_suite", ""),
        ("path", "engine/training/trainer.py", ""),
        ("path", "tools/eval.py", ""),
        ("path", "configs/demo.yaml", ""),
        ("flag", "--score-thr", "infer"),
        ("flag", "--metric", "eval"),
        ("key", "train.amp", ""),
        ("key", "model.loss.kind", ""),
        ("name", "detseg.models.MODELS", ""),
        ("name", "detseg.models.build_model", ""),
    } <= found
    assert problems(references(text)) == []


def test_every_allowed_mention_is_in_the_docs():
    written = {
        ("name" if ref.kind == "short" else ref.kind, ref.text)
        for doc in DOCS
        for ref in references((ROOT / doc).read_text(encoding="utf-8"), doc)
    }
    allowed = [(kind, text) for kind, texts in ALLOWED.items() for text in texts]
    assert [entry for entry in allowed if entry not in written] == []


@pytest.mark.parametrize(
    "wrong",
    [
        "`detseg.config.as_configuration`",
        "`detseg.engine.no_such_module`",
        "`suite_runner.run_the_suite`",
        "`RoIHeads.no_such_method`",
        "`engine/training/no_trainer.py`",
        "`tools/evaluate.py`",
        "`configs/no_demo.yaml`",
        "`detseg/no_folder/`",
        "`no_such_module.py`",
        "`tools/infer.py CKPT --confidence 0.5`",
        "`detseg-infer --confidence`",
        "`detseg-evaluate`",
        "`make tests`",
        "```bash\nmake tests  # all of them\n```",
        "`load_config(path, override=())`",
        '`detseg.load(path, device_name="cpu")`',
        "`detseg_tools.no_such_tool`",
        "`tools/benchmark.py model --no-such-flag`",
        "`--no-such-flag`",
        "`train.amp_mode`",
        "`eval.crf.no_key`",
        "`model.no_such_parameter`",
        "`model.loss.no_field`",
        "`data.no_such_key`",
        "```bash\npython tools/train.py configs/demo.yaml --no-such-flag\n```",
        "```python\nfrom detseg.models import MODELS, no_such_name\n```",
    ],
)
def test_a_wrong_reference_is_reported(wrong):
    assert len(problems(references(wrong + "\n"))) == 1, wrong

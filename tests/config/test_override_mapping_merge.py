"""A mapping given with ``--set`` merges into the mapping it lands on, as a file merges over its
``_base_`` (and as MMDetection's ``--cfg-options``): ``--set model.rpn={nms_thresh: 0.6}``
changes one key of ``rpn``, it does not drop the section's other keys."""

from __future__ import annotations

from pathlib import Path

from detseg.config import load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def _rpn(overrides, path=DEMO):
    return load_config(path, overrides).model.kwargs["rpn"]


def test_set_of_a_section_mapping_keeps_its_other_keys():
    rpn = _rpn(["model.rpn={nms_thresh: 0.6}"])
    assert rpn["nms_thresh"] == 0.6
    assert rpn["batch_size_per_image"] == 128  # from configs/demo.yaml


def test_set_and_a_base_file_merge_alike(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(f"_base_: {DEMO}\nmodel: {{rpn: {{nms_thresh: 0.6}}}}\n")
    assert _rpn(["model.rpn={nms_thresh: 0.6}"]) == _rpn([], path)


def test_a_python_mapping_override_merges_too():
    rpn = _rpn({"model.rpn": {"nms_thresh": 0.6}})
    assert (rpn["nms_thresh"], rpn["post_nms_top_n_test"]) == (0.6, 100)


def test_null_first_replaces_the_section():
    assert _rpn(["model.rpn=null", "model.rpn={nms_thresh: 0.6}"]) == {"nms_thresh": 0.6}


def test_a_dotted_key_and_a_mapping_agree():
    assert _rpn(["model.rpn.nms_thresh=0.6"]) == _rpn(["model.rpn={nms_thresh: 0.6}"])

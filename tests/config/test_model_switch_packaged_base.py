"""A config of one's own that switches the model of a packaged ``_base_`` (``_base_: demo``)
is told which base's model it switches, as one whose base is a file beside it."""

from __future__ import annotations

import pytest

from detseg.config import ConfigError, load_config
from detseg.config.packaged import packaged_file

#: demo.yaml's Faster R-CNN keys that RetinaNet does not take, all but representation_size.
NULLED = ("fpn", "rpn", "roi_heads", "sampling_ratio")


@pytest.mark.parametrize("base", ["demo", str(packaged_file("demo"))])
def test_the_switched_model_of_a_packaged_base_is_named(tmp_path, base):
    top = tmp_path / "top.yaml"
    nulls = "".join(f"  {key}: null\n" for key in NULLED)
    top.write_text(f"_base_: {base}\nmodel:\n  name: retinanet\n{nulls}  representation_size: 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(top)
    message = str(info.value)
    assert message.startswith(f"{top}: unknown key 'model.representation_size'")
    assert (
        f"{top} sets model.name to 'retinanet' over the faster_rcnn of {packaged_file('demo')}"
    ) in message
    assert "('representation_size: null' under 'model:')" in message

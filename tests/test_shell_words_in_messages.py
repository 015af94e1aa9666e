"""The commands that messages give take a path a shell would split as one word
(:func:`detseg.shell_words.shell_word`): the shapes generator for a missing shapes root, the
curl command for missing pretrained weights, the --out folder a prediction run suggests."""

from __future__ import annotations

import pytest

from detseg.backbones.weights import download_commands
from detseg.config import load_config
from detseg.data.registry import build_dataset
from detseg.predict_images import predict_checkpoint
from detseg.shell_words import shell_word


def test_a_missing_shapes_root_with_a_space_gives_a_command_that_works(tmp_path):
    root = tmp_path / "my data" / "shapes"
    cfg = load_config("demo", [f"data.root={root}"])
    with pytest.raises((FileNotFoundError, ValueError)) as caught:
        build_dataset(cfg.data.dataset_kwargs(), "train")
    assert f"detseg-make-shapes --out {shell_word(root)}," in str(caught.value)
    assert shell_word(root) != str(root)


def test_the_download_command_takes_a_cache_path_with_a_space(tmp_path):
    path = tmp_path / "my cache" / "resnet18.pth"
    text = download_commands("resnet18", "DEFAULT", "https://x/resnet18.pth", path)
    assert f"--create-dirs -o {shell_word(path)}`" in text and shell_word(path) != str(path)


def test_the_out_folder_hint_takes_a_path_with_a_space(tmp_path):
    out = tmp_path / "my runs" / "clip.mp4"
    with pytest.raises(ValueError) as caught:  # as tools/infer.py calls it
        predict_checkpoint(tmp_path / "none.pt", [tmp_path / "a.png"], out, flags={"out": "--out"})
    assert str(caught.value).endswith(f"e.g. --out {shell_word(out.with_suffix(''))}")
    with pytest.raises(ValueError) as caught:  # from Python: the keyword, the path as a str
        predict_checkpoint(tmp_path / "none.pt", [tmp_path / "a.png"], out)
    assert str(caught.value).endswith(f"e.g. out={str(out.with_suffix(''))!r}")

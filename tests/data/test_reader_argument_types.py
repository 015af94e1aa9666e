"""The data entry points of the Python API refuse an argument of the wrong kind with one line
naming it and what to give, not a pathlib or attribute error from inside."""

import numpy as np
import pytest

from detseg.data.image_io import read_image, read_image_array
from detseg.data.registry import build_dataset, build_segmentation_dataset


@pytest.mark.parametrize("path", [None, 3, np.zeros((4, 4, 3))])
@pytest.mark.parametrize("reader", [read_image, read_image_array])
def test_an_image_path_that_is_no_path(reader, path) -> None:
    with pytest.raises(
        TypeError, match="^an image path must be a str or os.PathLike, got "
    ) as caught:
        reader(path)
    assert "detseg.load(checkpoint).predict(x) takes numpy arrays" in str(caught.value)


@pytest.mark.parametrize("section", [None, "coco", ["coco"]])
@pytest.mark.parametrize("builder", [build_dataset, build_segmentation_dataset])
def test_a_data_section_that_is_no_dict(builder, section) -> None:
    with pytest.raises(
        TypeError, match="^data_cfg must be a config's data section, a dict"
    ) as caught:
        builder(section, "train")
    assert f"got {type(section).__name__} " in str(caught.value)
    assert "config.data.dataset_kwargs()" in str(caught.value)

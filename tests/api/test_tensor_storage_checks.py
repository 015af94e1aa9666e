"""A tensor whose pixels cannot be read as a dense image (one on the ``meta`` device, a sparse
one) is refused where it enters ``predict`` / ``stream`` in one line that names it and says
what to do, not by torch's ``Tensor.item() cannot be called on meta tensors`` or
``Could not run 'aten::ne.Scalar' ... SparseCPU`` from deep inside the pixel checks. A nested
tensor is told to be a list of tensors (torch cannot give a strided one's shape, and
``to_dense()`` fails on a jagged one); a wrong shape is told first, with its hint, whatever the
storage."""

from __future__ import annotations

import warnings

import pytest
import torch

import detseg


@pytest.fixture(scope="module")
def predictor(detector_checkpoint):
    return detseg.load(detector_checkpoint, device="cpu")


META = "is on the meta device, which holds no pixels; give a tensor with data"
SPARSE = "is torch.sparse_coo (not dense); give a dense tensor: tensor.to_dense()"


@pytest.mark.parametrize(
    ("make", "where", "problem"),
    [
        (lambda: torch.zeros(3, 8, 8, device="meta"), "tensor", META),
        (lambda: torch.zeros(3, 8, 8, dtype=torch.uint8, device="meta"), "tensor", META),
        (lambda: torch.zeros(2, 3, 8, 8, device="meta"), "image 0 of the batch tensor", META),
        (lambda: [torch.zeros(3, 8, 8, device="meta")], "item 0 of the input list", META),
        (lambda: torch.rand(3, 8, 8).to_sparse(), "tensor", SPARSE),
        (lambda: torch.rand(2, 3, 8, 8).to_sparse(), "image 0 of the batch tensor", SPARSE),
    ],
    ids=["meta", "meta_uint8", "meta_batch", "meta_in_list", "sparse", "sparse_batch"],
)
@pytest.mark.parametrize("call", ["predict", "stream"])
def test_a_tensor_without_dense_pixels_is_one_line(predictor, make, where, problem, call):
    with pytest.raises(ValueError) as caught:
        if call == "predict":
            predictor.predict(make())
        else:
            list(predictor.stream(make()))
    message = str(caught.value)
    assert where in message and problem in message and "\n" not in message, message


NESTED = (
    "a nested tensor (2 images in one tensor) is no image or batch; give a list of [3, H, W] "
    "tensors: list(tensor.unbind())"
)


def _nested(layout: torch.layout, sides: tuple[int, int]) -> torch.Tensor:
    images = [torch.rand(3, side, side) for side in sides]
    with warnings.catch_warnings():  # torch calls its nested tensors a prototype
        warnings.simplefilter("ignore")
        return torch.nested.nested_tensor(images, layout=layout)


@pytest.mark.parametrize(
    ("make", "start"),
    [
        (lambda: _nested(torch.strided, (8, 6)), ""),
        (lambda: _nested(torch.jagged, (8, 8)), ""),
        (lambda: [_nested(torch.strided, (8, 6))], "item 0 of the input list: "),
    ],
    ids=["strided", "jagged", "in_list"],
)
def test_a_nested_tensor_is_told_to_be_a_list(predictor, make, start):
    with pytest.raises(ValueError) as caught:
        predictor.predict(make())
    assert str(caught.value) == start + NESTED


@pytest.mark.parametrize(
    "make",
    [lambda: torch.zeros(8, 8, 3, device="meta"), lambda: torch.rand(8, 8, 3).to_sparse()],
    ids=["meta", "sparse"],
)
def test_a_channels_last_tensor_keeps_its_hint_whatever_its_storage(predictor, make):
    with pytest.raises(ValueError) as caught:
        predictor.predict(make())
    assert str(caught.value).startswith(
        "tensor of shape (8, 8, 3) is not [3, H, W] (channels last? tensors are [3, H, W]: "
        "use image.permute(2, 0, 1))"
    )

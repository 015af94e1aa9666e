"""A tensor whose pixels cannot be read as a dense image (one on the ``meta`` device, a sparse
one) is refused where it enters ``predict`` / ``stream`` in one line that names it and says
what to do, not by torch's ``Tensor.item() cannot be called on meta tensors`` or
``Could not run 'aten::ne.Scalar' ... SparseCPU`` from deep inside the pixel checks."""

from __future__ import annotations

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

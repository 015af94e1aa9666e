"""Per-image standardisation (``input.per_image_norm``) of a large image stays within float32
rounding of the float64 result, in torch and in an onnxruntime graph traced from it.

One float32 sum over all ``H * W`` pixels drifts with their count: on 512 x 512 images of few
grey levels (8-bit pixels in a narrow band) torch's norm is 2e-5 off and onnxruntime's
``ReduceMean`` / ``ReduceL2`` 7e-4, enough for an exported U-Net to fail its own check. Sums per
row, then over the rows, stay near 1e-6.
"""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation.builders import unet
from detseg.segmentation.per_image_norm import PER_IMAGE_EPS, standardized_per_image

SIDE = 512


def _narrow_band_images() -> torch.Tensor:
    """``[2, 3, 512, 512]`` 8-bit grey levels 150..190 (a plain background's few values)."""
    generator = torch.Generator().manual_seed(0)
    return (torch.rand(2, 3, SIDE, SIDE, generator=generator) * 40 + 150).round() / 255


def _float64_reference(images: torch.Tensor) -> torch.Tensor:
    flat = images.double().flatten(2)
    centred = flat - flat.mean(dim=2, keepdim=True)
    std = centred.square().sum(dim=2, keepdim=True).sqrt() / (flat.shape[2] - 1) ** 0.5
    return (centred / (std + PER_IMAGE_EPS)).view_as(images)


def test_model_normalize_is_float64_close_on_a_large_image():
    model = unet(1, depth=1, base_channels=2, input={"per_image_norm": True})
    images = _narrow_band_images()
    error = (model.normalize(images).double() - _float64_reference(images)).abs().max()
    assert error < 3e-6


def test_a_flat_input_is_one_row_with_the_same_result():
    images = torch.rand(2, 3, 17, 9, generator=torch.Generator().manual_seed(1))
    sqrt_dof = (17 * 9 - 1) ** 0.5
    flat = standardized_per_image(images.flatten(2), sqrt_dof)
    assert flat.shape == (2, 3, 17 * 9)
    torch.testing.assert_close(flat.view_as(images), standardized_per_image(images, sqrt_dof))


def test_the_traced_graph_is_float64_close_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")

    class Standardize(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            count = torch._shape_as_tensor(images)[2:].prod()
            sqrt_dof = torch.clamp(count - 1, min=1).to(torch.float64).sqrt().float()
            return standardized_per_image(images, sqrt_dof)

    images = _narrow_band_images()
    path = tmp_path / "standardize.onnx"
    torch.onnx.export(
        Standardize(),
        (images[:1, :, :64, :48],),
        str(path),
        opset_version=18,
        dynamo=False,
        input_names=["images"],
        dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}},
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = torch.from_numpy(session.run(None, {"images": images.numpy()})[0])
    assert (out.double() - _float64_reference(images)).abs().max() < 3e-6

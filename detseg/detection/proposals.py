"""Region proposals of a batch, padded to one count per image: what the RPN hands the RoI heads.

Images keep different numbers of proposals after NMS. A list of ``[P_i, 4]`` tensors would
need those counts on the host, which on a GPU means waiting for the device in every step; a
padded ``[B, P, 4]`` tensor with a mask keeps them on the device. On the CPU, where reading a
count is free, the RPN pads only to the longest image's count, so the padding costs little.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from detseg.ops.padding import pad_rows


@dataclass(frozen=True)
class Proposals:
    """Proposals of ``B`` images, padded to ``P`` per image.

    Attributes:
        boxes: ``Float[B, P, 4]`` xyxy in resized-image pixels; each image's proposals come
            first, by decreasing objectness, then padding.
        valid: Bool ``[B, P]``: the real proposals (``False`` for padding).

    Raises:
        ValueError: If ``boxes`` is not ``[B, P, 4]`` or ``valid`` not ``[B, P]``.
    """

    boxes: Tensor
    valid: Tensor

    def __post_init__(self) -> None:
        if self.boxes.dim() != 3 or self.boxes.shape[-1] != 4:
            raise ValueError(f"proposal boxes must be [B, P, 4], got {tuple(self.boxes.shape)}")
        if self.valid.shape != self.boxes.shape[:2]:
            raise ValueError(
                f"the valid mask must be [B, P] = {tuple(self.boxes.shape[:2])}, got "
                f"{tuple(self.valid.shape)}"
            )

    @classmethod
    def from_list(cls, boxes: list[Tensor]) -> Proposals:
        """Pad per-image ``Float[P_i, 4]`` xyxy proposals (no host read: the counts are
        shapes)."""
        return cls(*pad_rows(boxes))

    def per_image(self) -> list[Tensor]:
        """The real proposals of each image, ``Float[P_i, 4]``. Reads the counts on the host:
        a synchronisation on a GPU."""
        counts = self.valid.sum(dim=1).tolist()
        return [boxes[:count] for boxes, count in zip(self.boxes, counts, strict=True)]

"""Drawing primitives of the synthetic shapes dataset (backgrounds, polygons, colours).

Shapes are filled polygons drawn without anti-aliasing (``cv2.LINE_8``) with 1/16 px vertex
precision, so every pixel is either the shape's colour or untouched: the masks derived from
the drawing are exact. All randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "BACKGROUND_KINDS",
    "SHAPE_CLASSES",
    "ShapeSpec",
    "draw_background",
    "fill_shape",
    "pick_contrasting_colour",
    "shape_polygon",
]

#: Foreground classes of the shapes dataset, in label order (labels 1..5, category ids 1..5).
#: Ellipses and pentagons were tried and dropped: at 8-20 px a pentagon, a hexagon, an ellipse
#: and a circle are the same blob, and those label collisions capped the demo's AP.
SHAPE_CLASSES = ("circle", "square", "triangle", "star", "hexagon")

#: Background textures, chosen uniformly per image.
BACKGROUND_KINDS = ("gradient", "noise", "stripes", "clouds")

_SHIFT = 4  # fillPoly fixed-point bits: vertices in 1/16 px
_MIN_CONTRAST = 90.0  # smallest RGB distance between a shape and the mean pixel it covers


@dataclass(frozen=True)
class ShapeSpec:
    """One shape to draw.

    Attributes:
        label: Class label in ``1..len(SHAPE_CLASSES)``.
        cx: Centre x in pixels.
        cy: Centre y in pixels.
        size: Outer diameter in pixels (side length for squares).
        angle: Rotation in radians.
    """

    label: int
    cx: float
    cy: float
    size: float
    angle: float


def _regular_polygon(num: int, radius: float, phase: float) -> np.ndarray:
    t = phase + np.arange(num) * (2 * np.pi / num)
    return np.stack([np.cos(t), np.sin(t)], axis=1) * radius


def _unit_outline(name: str, radius: float) -> np.ndarray:
    """``Float[P, 2]`` outline of a class centred at 0, before rotation."""
    if name == "circle":
        return _regular_polygon(64, radius, 0.0)
    if name == "square":
        return _regular_polygon(4, radius * np.sqrt(2), np.pi / 4)
    if name == "triangle":
        return _regular_polygon(3, radius, -np.pi / 2)
    if name == "star":
        outer = _regular_polygon(5, radius, -np.pi / 2)
        inner = _regular_polygon(5, radius * 0.45, -np.pi / 2 + np.pi / 5)
        return np.stack([outer, inner], axis=1).reshape(10, 2)
    if name == "hexagon":
        return _regular_polygon(6, radius, 0.0)
    raise ValueError(f"unknown shape class {name!r}; expected one of {SHAPE_CLASSES}")


def shape_polygon(shape: ShapeSpec) -> np.ndarray:
    """Vertices of a shape in ``cv2.fillPoly`` fixed point (``Int32[P, 2]``, 1/16 px, x then y)."""
    name = SHAPE_CLASSES[shape.label - 1]
    outline = _unit_outline(name, shape.size / 2.0)
    c, s = np.cos(shape.angle), np.sin(shape.angle)
    rotated = outline @ np.array([[c, s], [-s, c]])
    points = rotated + np.array([shape.cx, shape.cy])
    return np.round(points * (1 << _SHIFT)).astype(np.int32)


def fill_shape(shape: ShapeSpec, size: int) -> np.ndarray:
    """``Bool[size, size]`` pixels covered by ``shape`` (no anti-aliasing)."""
    mask = np.zeros((size, size), dtype=np.uint8)
    cv2.fillPoly(mask, [shape_polygon(shape)], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask.view(bool)


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, size=3).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _unit_grid(size: int) -> np.ndarray:
    """``Float32[2, size, size]`` pixel coordinates (y, x) divided by ``size``; read-only."""
    grid = np.mgrid[0:size, 0:size].astype(np.float32) / np.float32(size)
    grid.flags.writeable = False
    return grid


def draw_background(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A textured background.

    Args:
        rng: Random generator.
        kind: One of :data:`BACKGROUND_KINDS`.
        size: Image side in pixels.

    Returns:
        ``Float32[size, size, 3]`` RGB in ``[0, 255]``.
    """
    yy, xx = _unit_grid(size)
    a, b = _random_colour(rng), _random_colour(rng)
    if kind == "gradient":
        theta = rng.uniform(0, 2 * np.pi)
        t = np.float32(np.cos(theta)) * xx + np.float32(np.sin(theta)) * yy
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    elif kind == "noise":
        low = rng.normal(0.0, 1.0, size=(size // 4, size // 4)).astype(np.float32)
        t = cv2.resize(low, (size, size), interpolation=cv2.INTER_NEAREST)
        t = np.clip(np.float32(0.5) + np.float32(0.2) * t, 0.0, 1.0)
    elif kind == "stripes":
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(0.04, 0.25)
        fx, fy = (np.float32(2 * np.pi * v / period) for v in (np.cos(theta), np.sin(theta)))
        t = np.float32(0.5) + np.float32(0.5) * np.sin(fx * xx + fy * yy)
    elif kind == "clouds":
        low = rng.uniform(0.0, 1.0, size=(6, 6)).astype(np.float32)
        t = np.clip(cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    else:
        raise ValueError(f"unknown background kind {kind!r}; expected one of {BACKGROUND_KINDS}")
    return a + t[:, :, None] * (b - a)  # float32: a, b and t are float32


def pick_contrasting_colour(rng: np.random.Generator, under: np.ndarray) -> np.ndarray:
    """A random colour far (in RGB) from the mean of the pixels a shape will cover.

    Args:
        rng: Random generator.
        under: ``Float[M, 3]`` RGB pixels the shape covers (``M >= 1``).

    Returns:
        ``Float32[3]`` RGB colour in ``[0, 255]`` at distance >= 90 from their mean when a
        random draw finds one within 20 tries, else the mean's per-channel opposite extreme.
    """
    mean = under.mean(axis=0)
    for _ in range(20):
        colour = _random_colour(rng)
        if float(np.linalg.norm(colour - mean)) >= _MIN_CONTRAST:
            return colour
    return np.where(mean > 127.5, 0.0, 255.0).astype(np.float32)

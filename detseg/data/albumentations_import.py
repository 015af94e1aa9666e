"""albumentations, imported without its network version check.

On import, albumentations asks PyPI for its newest version and prints a warning when the
machine is offline or the version is old. Its documented switch ``NO_ALBUMENTATIONS_UPDATE=1``
turns that off; detseg sets it (unless the user already has) before the first import, so that
training on an offline machine neither waits for the network nor prints the warning. Every
module of detseg imports albumentations from here.
"""

from __future__ import annotations

import os

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402  (the switch must be set before the import)
from albumentations.core.composition import BaseCompose  # noqa: E402

__all__ = ["A", "BaseCompose"]

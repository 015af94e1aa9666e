"""dataclass_from_dict: a builder's nested config section as its settings dataclass."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from detseg.config.sections import dataclass_from_dict


@dataclass(frozen=True)
class _Settings:
    thresh: float = 0.5
    sizes: tuple[int, ...] = (32, 64)


def test_fields_defaults_and_tuples():
    assert dataclass_from_dict(_Settings, None, "head") == _Settings()
    got = dataclass_from_dict(_Settings, {"sizes": [8, 16]}, "head", as_tuple=("sizes",))
    assert got == _Settings(0.5, (8, 16))


def test_unknown_key_names_the_section_and_the_closest_field():
    with pytest.raises(
        ValueError, match=r"unknown key 'tresh' in model.head; did you mean 'thresh'"
    ):
        dataclass_from_dict(_Settings, {"tresh": 0.1}, "model.head")
    with pytest.raises(ValueError, match="model.head must be a mapping of _Settings fields"):
        dataclass_from_dict(_Settings, "ce", "model.head")

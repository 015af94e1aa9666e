"""pyproject.toml is read by setuptools without a deprecation warning: a deprecated form
(``license = { text = ... }``, whose support setuptools ends on 2027-02-18) would make
``pip install .`` fail once the build picks up a setuptools without it."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_has_no_deprecated_setuptools_form():
    setuptools = pytest.importorskip("setuptools")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings():
        warnings.simplefilter("error", setuptools.SetuptoolsDeprecationWarning)
        distribution = apply_configuration(Distribution(), REPO / "pyproject.toml")
    assert distribution.metadata.license_expression == "MIT"


def test_build_requires_a_setuptools_that_reads_a_license_expression():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'requires = \["setuptools>=(\d+)"\]', text)
    assert match is not None and int(match[1]) >= 77

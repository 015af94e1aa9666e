"""Packaging beyond pyproject.toml: tools/ is installed as the package ``detseg_tools``.

The ``detseg-*`` commands of ``[project.scripts]`` call ``detseg_tools.<tool>:cli``, the
argparse front ends of ``tools/*.py``; pyproject.toml alone cannot map a folder to another
package name next to a package discovery, hence this file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["detseg", "detseg.*"]), "detseg_tools"],
    package_dir={"detseg_tools": "tools"},
)

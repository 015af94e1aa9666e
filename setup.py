"""Packaging beyond pyproject.toml: tools/ is installed as the package ``detseg_tools`` and
configs/ as ``detseg_configs``.

The ``detseg-*`` commands of ``[project.scripts]`` call ``detseg_tools.<tool>:cli``, the
argparse front ends of ``tools/*.py``; pyproject.toml alone cannot map a folder to another
package name next to a package discovery, hence this file. ``detseg_configs`` carries every
file of configs/ (the experiment configs, their ``_base_/`` parts, the data files of
``datasets/``) as package data, so that an installed detseg finds a config by its name from
any folder (``detseg-train demo``; :mod:`detseg.config.packaged`); its subfolders are data,
not packages, hence ``include_package_data=False`` and the explicit ``package_data``.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["detseg", "detseg.*"]), "detseg_tools", "detseg_configs"],
    package_dir={"detseg_tools": "tools", "detseg_configs": "configs"},
    package_data={"detseg_configs": ["**/*"]},
    include_package_data=False,
)

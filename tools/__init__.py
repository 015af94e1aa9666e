"""The command-line tools, thin ``argparse`` wrappers over :mod:`detseg`.

Run them as ``python tools/<name>.py`` from a checkout, or, after ``pip install .``, as the
``detseg-<name>`` commands: ``pip`` installs this folder as the package ``detseg_tools`` (see
``setup.py``) and each command calls its module's ``cli()``.
"""

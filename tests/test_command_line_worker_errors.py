"""``run_command``: a user error raised in a ``DataLoader`` worker is one line, its own message.

The main process re-raises a worker's error with the worker's whole traceback in the message
(``torch._utils.ExceptionWrapper``, what ``DataLoader`` uses); the tools must print only what
the same error says with ``num_workers: 0`` (e.g. a label map with a value above ``K``).
"""

from __future__ import annotations

import pytest
from torch._utils import ExceptionWrapper
from user_error_line import user_error_line

from detseg.config import ConfigError

LABEL_MAP_ERROR = (
    "masks/train/a.png (image images/train/a.jpg): label values [9] are outside 0..2 "
    "(background and 2 classes) and 255 (ignore); is the class list complete?"
)


def worker_main(error: Exception):
    """A ``main`` that re-raises ``error`` as a ``DataLoader`` worker's error reaches the main
    process."""

    def main() -> int:
        try:
            raise error
        except Exception:
            wrapper = ExceptionWrapper(where="in DataLoader worker process 0")
        wrapper.reraise()
        return 0

    return main


@pytest.mark.parametrize("error", [ValueError(LABEL_MAP_ERROR), ConfigError(LABEL_MAP_ERROR)])
def test_a_worker_error_is_its_own_message(capsys, error):
    assert user_error_line(worker_main(error), capsys) == f"train: error: {LABEL_MAP_ERROR}"


def test_an_error_in_the_main_process_is_unchanged(capsys):
    def main() -> int:
        raise ValueError("Caught nothing: a message that only looks like a worker's")

    assert user_error_line(main, capsys) == (
        "train: error: Caught nothing: a message that only looks like a worker's"
    )

"""The dataset readers' warnings said once per run (:mod:`detseg.data.said_once`)."""

from __future__ import annotations

import logging

from detseg.data.said_once import quiet_dataset_warnings, say_dataset_warnings_once

READER = logging.getLogger("detseg.data.base")


def _said(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == READER.name]


def test_each_warning_is_said_once_until_the_next_run(caplog):
    say_dataset_warnings_once()
    with caplog.at_level(logging.INFO, logger=READER.name):
        for _ in range(3):
            READER.warning("skipping unreadable image (index %d): %s", 1, "a.png")
            READER.info("an info line")
        READER.warning("skipping unreadable image (index %d): %s", 2, "b.png")
        say_dataset_warnings_once()  # a new run says it again
        READER.warning("skipping unreadable image (index %d): %s", 1, "a.png")
    warning, info = logging.WARNING, logging.INFO
    assert _said(caplog) == [
        (warning, "skipping unreadable image (index 1): a.png"),
        (info, "an info line"),
        (info, "an info line"),
        (info, "an info line"),
        (warning, "skipping unreadable image (index 2): b.png"),
        (warning, "skipping unreadable image (index 1): a.png"),
    ]


def test_quiet_leaves_out_warnings_and_nothing_else(caplog):
    """A warning left out counts as said (rank 0 says it; later readers do not)."""
    say_dataset_warnings_once()
    with caplog.at_level(logging.INFO, logger=READER.name):
        with quiet_dataset_warnings():
            READER.warning("skipping unreadable image (index 0): c.png")
            READER.error("an error")
        READER.warning("skipping unreadable image (index 0): c.png")
        READER.warning("skipping unreadable image (index 0): d.png")
    assert _said(caplog) == [
        (logging.ERROR, "an error"),
        (logging.WARNING, "skipping unreadable image (index 0): d.png"),
    ]

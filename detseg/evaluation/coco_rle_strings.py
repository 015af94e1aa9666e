"""Compressed COCO RLE strings (an RLE's ``counts`` as ``str`` or ``bytes``) decoded and checked.

pycocotools and faster-coco-eval decode such a string without checking it: on a cut or corrupt
string they read past its end, never return, or read it as another mask.
:func:`first_rle_string_problem` decodes N strings together in a few numpy passes and names the
first that is not the RLE of a mask of its size. The decoder is a module of its own because it is
about the string format itself (characters, runs, their sum), not about COCO records:
:func:`detseg.evaluation.coco_checks.check_rle_strings` picks the strings out of the
segmentations and words the error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Compressed RLE strings (the ``counts`` of a COCO RLE as a ``str`` or ``bytes``): each run is a
# group of characters ``'0'`` .. ``'o'`` holding 5 bits each (bit 0x20 set on every character
# but the group's last, bit 0x10 of the last the sign); the runs from the fourth on are stored
# as the difference to the run two before (pycocotools' ``rleFrString``).

#: Strings decoded per numpy pass: bounds the memory (a few int64 per character).
_CHUNK = 4096
#: The most characters of one run: 7 x 5 bits hold more than any mask's pixels.
_MAX_RUN_CHARS = 7


def first_rle_string_problem(
    counts: Sequence[str | bytes], pixels: Sequence[int]
) -> tuple[int, str] | None:
    """``(index, what is wrong)`` of the first of ``counts`` that is not the compressed RLE
    string of a mask of ``pixels[index]`` pixels (``height * width`` of its ``size``), or
    ``None`` when all are.

    Args:
        counts: N compressed RLE strings (``str`` or ``bytes``).
        pixels: N pixel counts, the product of each RLE's ``size``.
    """
    for start in range(0, len(counts), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        bad = _first_bad_string(list(counts[chunk]), np.asarray(pixels[chunk], dtype=np.int64))
        if bad is not None:
            problem = _rle_string_problem(counts[start + bad], int(pixels[start + bad]))
            return start + bad, problem or "the RLE counts string is malformed"
    return None


def _rle_string_problem(counts: str | bytes, pixels: int) -> str | None:
    """What keeps ``counts`` from being the compressed RLE string of a mask of ``pixels``
    pixels, or ``None``."""
    data = _as_bytes(counts)
    chars = np.frombuffer(data, dtype=np.uint8).astype(np.int64) - 48  # Int64[L]
    if chars.size and (chars.min() < 0 or chars.max() > 63):
        bad = int(np.flatnonzero((chars < 0) | (chars > 63))[0])
        return (
            f"the RLE counts string holds {_character(counts, bad)!r} at position {bad}, which "
            "no compressed RLE holds (its characters are '0' to 'o')"
        )
    if chars.size and chars[-1] & 0x20:
        return "the RLE counts string is cut short (it ends inside a run)"
    owner = np.zeros(chars.size, dtype=np.int64)
    runs, run_owner, too_long = _decoded_runs(chars, owner)
    if too_long.any():
        return "the RLE counts string holds a run of more than 7 characters (a corrupt string)"
    if runs.size and runs.min() < 0:
        return "the RLE counts string decodes to a negative run (a corrupt string)"
    if int(runs.sum()) != pixels:
        return (
            f"the RLE counts string decodes to runs of {int(runs.sum())} pixels, not the "
            f"{pixels} of its size (a cut or corrupt string, or the RLE of another size)"
        )
    return None


def _character(counts: str | bytes, position: int) -> str:
    """The character at ``position`` of ``counts`` (a byte of ``bytes`` as latin-1)."""
    return counts[position] if isinstance(counts, str) else chr(counts[position])


def _as_bytes(counts: str | bytes) -> bytes:
    """The bytes of a counts string, UTF-8 as pycocotools encodes a ``str`` (every character
    of an RLE is ASCII, so the first other character's bytes are at its position)."""
    return counts.encode("utf-8", "surrogatepass") if isinstance(counts, str) else bytes(counts)


def _first_bad_string(counts: list[str | bytes], pixels: np.ndarray) -> int | None:
    """Index of the first of ``counts`` that is no RLE string of ``pixels`` (``Int64[N]``)
    pixels, or ``None``."""
    data = [_as_bytes(c) for c in counts]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    chars = np.frombuffer(b"".join(data), dtype=np.uint8).astype(np.int64) - 48  # Int64[L]
    owner = np.repeat(np.arange(len(data)), lengths)  # the string of each character
    ends = np.cumsum(lengths) - 1
    cut = (lengths > 0) & (chars[np.maximum(ends, 0)] & 0x20 != 0) if chars.size else lengths < 0
    foreign = np.zeros(len(data), dtype=bool)
    foreign[owner[(chars < 0) | (chars > 63)]] = True
    broken = np.flatnonzero(cut | foreign)
    # strings before the first broken one end their last run: decode those together
    limit = int(broken[0]) if broken.size else len(data)
    kept = owner < limit
    runs, run_owner, too_long = _decoded_runs(chars[kept], owner[kept])
    bad = np.zeros(limit, dtype=bool)
    bad[run_owner[runs < 0]] = True
    bad[run_owner[too_long]] = True
    # float64 sums are exact here: a string's runs add up to far less than 2**53
    totals = np.bincount(run_owner, weights=runs.astype(np.float64), minlength=limit)
    bad |= totals != pixels[:limit]
    found = np.flatnonzero(bad)
    if found.size:
        return int(found[0])
    return limit if broken.size else None


def _decoded_runs(
    chars: np.ndarray, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of RLE strings given as their concatenated character values.

    Args:
        chars: ``Int64[L]`` characters minus ``'0'``, each in ``0..63``; every string ends its
            last run (its last character has bit 0x20 clear).
        owner: ``Int64[L]`` the string of each character, non-decreasing.

    Returns:
        ``(runs Int64[R], run_owner Int64[R], too_long Bool[R])``: each run's pixel count, its
        string, and whether it takes more than 7 characters (its count is then meaningless).
    """
    if chars.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    ends = np.flatnonzero(chars & 0x20 == 0)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    too_long = lengths > _MAX_RUN_CHARS
    position = np.minimum(np.arange(chars.size) - np.repeat(starts, lengths), _MAX_RUN_CHARS)
    values = np.add.reduceat((chars & 0x1F) << (5 * position), starts)
    sign = 1 << (5 * np.minimum(lengths, _MAX_RUN_CHARS + 1))
    values = np.where(chars[ends] & 0x10 != 0, values - sign, values)
    run_owner = owner[ends]
    index = np.arange(len(ends))
    string_start = np.concatenate(([True], run_owner[1:] != run_owner[:-1]))
    first = np.maximum.accumulate(np.where(string_start, index, 0))  # each string's run 0
    index -= first
    # run j >= 3 is run j - 2 plus its value: runs 1, 3, 5, ... of a string are a running sum
    # of their values, and so are runs 2, 4, 6, ...; run 0 is its value
    odd = index % 2 == 1
    even = (index % 2 == 0) & (index > 0)
    runs = values.copy()
    for chain in (odd, even):
        sums = np.cumsum(np.where(chain, values, 0))
        before = sums[first] - np.where(chain[first], values[first], 0)  # sum before the string
        runs[chain] = (sums - before)[chain]
    return runs, run_owner, too_long

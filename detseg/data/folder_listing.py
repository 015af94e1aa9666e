"""What a folder holds, for a message about a file that is not there.

A message that names a missing file alone (a split file, an annotation json, an image of a
split) leaves the user to list the folder to see how its files are named. :func:`folder_listing`
gives the few first names of the kind looked for, and how many more, to follow the folder's name
in such a message; :func:`first_few` joins any such names.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SHOWN_NAMES", "first_few", "folder_listing"]

#: How many names a message shows of the missing files, and of the files a folder holds.
SHOWN_NAMES = 3


def folder_listing(folder: Path, suffix: str, shown: int = SHOWN_NAMES) -> str:
    """What ``folder`` holds, to follow its name in a message: ``"holds 17125 .jpg files:
    2007_000027.jpg, 2007_000032.jpg, 2007_000033.jpg and 17122 more"``; where it has no
    ``suffix`` file, its other files and its subfolders (``"holds no .json file; its folders:
    annotations/, train/"``: the file may be one level down); ``"is empty"``, ``"does not
    exist"`` or ``"is not a folder"`` (a file of that name). Names are sorted, so the first
    ones show how the files are named."""
    if not folder.exists():
        return "does not exist"
    if not folder.is_dir():
        return "is not a folder"
    try:
        entries = sorted(folder.iterdir(), key=lambda path: path.name)
    except OSError as exc:
        return f"cannot be listed ({exc.strerror or type(exc).__name__})"
    files = [path.name for path in entries if path.is_file()]
    matching = [name for name in files if name.endswith(suffix)]
    if matching:
        count = f"1 {suffix} file" if len(matching) == 1 else f"{len(matching)} {suffix} files"
        return f"holds {count}: {first_few(matching, shown)}"
    folders = [f"{path.name}/" for path in entries if path.is_dir()]
    if not files and not folders:
        return "is empty"
    listing = f"holds no {suffix} file"
    if files:
        count = "1 other" if len(files) == 1 else f"{len(files)} others"
        listing += f", but {count}: {first_few(files, shown)}"
    if folders:
        listing += f"; its folders: {first_few(folders, shown)}"
    return listing


def first_few(items: list[str], shown: int = SHOWN_NAMES) -> str:
    """The first ``shown`` of ``items`` joined by commas, then ``and N more`` when longer."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more

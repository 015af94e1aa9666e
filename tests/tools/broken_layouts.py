"""Broken dataset layouts, one per way a user's data can be wrong, for the tools' error tests.

``write_broken_layouts(folder)`` writes each layout into ``folder/<case_id>/`` and returns its
cases: the ``--set`` overrides of the ``data`` section that point a config at it, and a piece
of the one error line a tool must print (``"<tool>: error: ..."``, exit code 2, no traceback).
Both splits name the same broken files, so a tool fails the same way whichever split it reads
(train.py and anchors.py read ``train``, eval.py reads ``val``).

Reuse it for another tool::

    import sys; sys.path.insert(0, str(Path(__file__).parent))   # tests/tools
    from broken_layouts import write_broken_layouts, write_data_config

    for case in write_broken_layouts(tmp_path):
        result = run_tool("check_data.py", "--set", *case.overrides)  # or a config file:
        config = write_data_config(tmp_path / f"{case.case_id}.yaml", case.overrides)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import yaml

REPO = Path(__file__).resolve().parents[2]

__all__ = [
    "CASE_IDS",
    "BrokenLayout",
    "data_section",
    "write_broken_layouts",
    "write_data_config",
]

#: The ids of the cases of :func:`write_broken_layouts`, in order (for ``parametrize``).
CASE_IDS = (
    "root_missing",
    "coco_json_missing",
    "coco_json_corrupt",
    "coco_json_no_images",
    "coco_images_missing",
    "voc_annotations_missing",
    "voc_split_missing",
    "voc_classes_missing",
    "voc_unknown_classes",
    "yolo_images_missing",
    "yolo_classes_empty",
    "yolo_class_ids_out_of_range",
)


class BrokenLayout(NamedTuple):
    """One broken dataset.

    Attributes:
        case_id: A short name, also the folder it is written to.
        overrides: ``data.*`` overrides as ``--set`` takes them, format and root first.
        expected: A substring of the tool's error line (typically the bad file's name).
    """

    case_id: str
    overrides: list[str]
    expected: str


def _write(path: Path, text: str | bytes = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def _coco_json(path: Path, **drop: bool) -> None:
    data: dict[str, Any] = {
        "images": [{"id": 1, "file_name": "0.png", "width": 32, "height": 32}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10]}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    _write(path, json.dumps({k: v for k, v in data.items() if not drop.get(k)}))


def _coco(root: Path, ann: str, images: str = "images") -> list[str]:
    return [
        "data.format=coco",
        f"data.root={root}",
        f"data.train_images={images}",
        f"data.val_images={images}",
        f"data.train_ann={ann}",
        f"data.val_ann={ann}",
    ]


def _voc(root: Path, names: list[list[str]], split: str = "all") -> list[str]:
    """A VOC folder whose image ``i`` has objects named ``names[i]``; the split lists them."""
    for i, objects in enumerate(names):
        xml = "".join(
            f"<object><name>{n}</name><bndbox><xmin>3</xmin><ymin>3</ymin><xmax>12</xmax>"
            "<ymax>12</ymax></bndbox></object>"
            for n in objects
        )
        _write(root / "Annotations" / f"{i}.xml", f"<annotation>{xml}</annotation>")
    _write(root / "ImageSets" / "Main" / "all.txt", "".join(f"{i}\n" for i in range(len(names))))
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    return _voc_overrides(root, split)


def _voc_overrides(root: Path, split: str = "all") -> list[str]:
    return [
        "data.format=voc",
        f"data.root={root}",
        f"data.train_split={split}",
        f"data.val_split={split}",
    ]


def _yolo(root: Path, lines: list[str], classes: str = "cat\ndog\n") -> list[str]:
    """A YOLO folder with one image per label line, split folders ``images/all``."""
    for i, line in enumerate(lines):
        _write(root / "images" / "all" / f"{i}.png", b"")
        _write(root / "labels" / "all" / f"{i}.txt", line + "\n")
    _write(root / "classes.txt", classes)
    return [
        "data.format=yolo",
        f"data.root={root}",
        "data.train_images=images/all",
        "data.val_images=images/all",
    ]


def write_broken_layouts(folder: Path) -> list[BrokenLayout]:
    """Write every broken layout under ``folder``; return their cases (see the module doc)."""
    folder = Path(folder)
    cases = []

    def case(case_id: str, overrides: list[str], expected: str) -> None:
        cases.append(BrokenLayout(case_id, overrides, expected))

    root = folder / "root_missing"
    root.mkdir(parents=True, exist_ok=True)
    case("root_missing", ["data.format=coco", f"data.root={root / 'nowhere'}"], "nowhere")

    root = folder / "coco_json_missing"
    _write(root / "images" / "0.png", b"")
    case("coco_json_missing", _coco(root, "annotations/missing.json"), "missing.json")

    root = folder / "coco_json_corrupt"
    _write(root / "images" / "0.png", b"")
    _write(root / "annotations" / "corrupt.json", '{"images": [{"id": 1, ')
    case("coco_json_corrupt", _coco(root, "annotations/corrupt.json"), "corrupt.json is not valid")

    root = folder / "coco_json_no_images"
    _write(root / "images" / "0.png", b"")
    _coco_json(root / "annotations" / "no_images.json", images=True)
    case("coco_json_no_images", _coco(root, "annotations/no_images.json"), "no 'images' list")

    root = folder / "coco_images_missing"
    _coco_json(root / "annotations" / "ann.json")
    case(
        "coco_images_missing",
        _coco(root, "annotations/ann.json", images="no_image_folder"),
        "COCO images folder not found",
    )

    root = folder / "voc_annotations_missing"
    _voc(root, [["cat"]])
    for xml in (root / "Annotations").iterdir():
        xml.unlink()
    (root / "Annotations").rmdir()
    case(
        "voc_annotations_missing",
        _voc_overrides(root),
        f"VOC folder not found: {root / 'Annotations'}",
    )

    root = folder / "voc_split_missing"
    case("voc_split_missing", _voc(root, [["cat"]], split="no_split"), "no_split.txt")

    root = folder / "voc_classes_missing"
    overrides = [*_voc(root, [["cat"]]), "data.classes=my_classes.txt"]
    case("voc_classes_missing", overrides, "my_classes.txt")

    root = folder / "voc_unknown_classes"
    names = [["zebra", "zebra", "horse"], ["zebra", "zebra", "zebra"], ["cat", "zebra", "horse"]]
    names.append(["horse"])
    overrides = [*_voc(root, names), "data.classes=[cat, dog]"]
    case("voc_unknown_classes", overrides, "9 of 10 objects (90%)")

    root = folder / "yolo_images_missing"
    _write(root / "labels" / "all" / "0.txt", "0 0.5 0.5 0.2 0.2\n")
    _write(root / "classes.txt", "cat\n")
    overrides = ["data.format=yolo", f"data.root={root}", "data.train_images=images/all"]
    overrides.append("data.val_images=images/all")
    case("yolo_images_missing", overrides, "YOLO images folder not found")

    root = folder / "yolo_classes_empty"
    overrides = _yolo(root, ["0 0.5 0.5 0.2 0.2"], classes="\n")
    case("yolo_classes_empty", overrides, "classes.txt lists no class names")

    root = folder / "yolo_class_ids_out_of_range"
    lines = ["5 0.5 0.5 0.2 0.2", "7 0.5 0.5 0.2 0.2", "0 0.5 0.5 0.2 0.2", "5 0.4 0.4 0.2 0.2"]
    case("yolo_class_ids_out_of_range", _yolo(root, lines), "class index outside 0..1")
    assert tuple(c.case_id for c in cases) == CASE_IDS
    return cases


def data_section(overrides: list[str]) -> dict[str, Any]:
    """The ``data`` section that ``--set`` ``overrides`` describe (values parsed as YAML)."""
    section = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if not key.startswith("data."):
            raise ValueError(f"not a data override: {item}")
        section[key.removeprefix("data.")] = yaml.safe_load(value)
    return section


def write_data_config(
    path: Path, overrides: list[str], base: Path = REPO / "configs" / "demo.yaml"
) -> Path:
    """A config file: ``base`` with the data section of ``overrides`` (for tools without --set)."""
    config = {"_base_": str(base), "data": data_section(overrides)}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path

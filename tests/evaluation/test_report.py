"""write_detection_report on a tiny synthetic run: files, metrics.json and the HTML content."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.detection_confusion import detection_confusion_matrix
from detseg.evaluation.report import write_detection_report

PNGS = ["pr_curve_iou50.png", "pr_curve_iou75.png", "pr_per_class.png", "confusion_matrix.png"]
COCO_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
WEIRD_NAME = "cow <b>&"  # a class without ground truth whose name needs escaping


def _ann(ann_id: int, image_id: int, cat: int, box: list[float]) -> dict:
    area = float(box[2] * box[3])
    return dict(id=ann_id, image_id=image_id, category_id=cat, bbox=box, area=area, iscrowd=0)


def _det(image_id: int, cat: int, box: list[float], score: float) -> dict:
    return {"image_id": image_id, "category_id": cat, "bbox": box, "score": score}


def _synthetic_run(root: Path) -> tuple[dict, list[dict]]:
    """Five 64x80 images: "square" (id 1) is found, "circle" (id 2) is mostly missed."""
    (root / "images").mkdir(parents=True)
    gt: dict = {"images": [], "annotations": [], "categories": []}
    gt["categories"] = [{"id": 1, "name": "square"}, {"id": 2, "name": "circle"}]
    gt["categories"].append({"id": 3, "name": WEIRD_NAME})
    dets = []
    for i in range(1, 6):
        image = np.full((64, 80, 3), 40 * i, dtype=np.uint8)
        cv2.rectangle(image, (5, 5), (30, 30), (255, 255, 255), -1)
        cv2.circle(image, (55, 45), 12, (0, 0, 255), -1)
        cv2.imwrite(str(root / "images" / f"img_{i}.png"), image)
        gt["images"].append({"id": i, "file_name": f"img_{i}.png", "width": 80, "height": 64})
        gt["annotations"].append(_ann(2 * i - 1, i, 1, [5, 5, 26, 26]))
        gt["annotations"].append(_ann(2 * i, i, 2, [43, 33, 25, 25]))
        dets.append(_det(i, 1, [5, 5, 26, 26], 0.9))
        if i == 1:
            dets.append(_det(i, 2, [43, 33, 25, 25], 0.8))  # the only circle found
        if i == 2:
            dets.append(_det(i, 2, [0, 40, 20, 20], 0.7))  # a circle where there is none
    return gt, dets


class _Collector(HTMLParser):
    """Collects img sources and the cell texts of every table row, keyed by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._cell = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "table":
            self._table = attrs.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, dict, list[dict], Path]:
    root = tmp_path_factory.mktemp("run")
    gt, dets = _synthetic_run(root)
    report = write_detection_report(
        root / "out", gt, dets, images_dir=root / "images", info={"checkpoint": "best.pt"}
    )
    return root, gt, dets, report


def test_files_and_metrics_json(run) -> None:
    root, gt, dets, report = run
    assert report == root / "out" / "report.html" and report.is_file()
    for name in PNGS:
        image = cv2.imread(str(root / "out" / name))
        assert image is not None and min(image.shape[:2]) > 100, name
    metrics = json.loads((root / "out" / "metrics.json").read_text())
    assert set(metrics) == {*COCO_KEYS, "per_class", "confusion_matrix", "info"}
    assert {k: metrics[k] for k in [*COCO_KEYS, "per_class"]} == coco_evaluate(gt, dets)
    assert list(metrics["per_class"]) == ["square", "circle", WEIRD_NAME]
    confusion = metrics["confusion_matrix"]
    assert confusion["classes"] == ["square", "circle", WEIRD_NAME, "background"]
    assert confusion["matrix"] == detection_confusion_matrix(gt, dets).tolist()
    assert confusion["matrix"][1] == [0, 1, 0, 4]  # one circle found, four missed
    assert metrics["info"] == {"checkpoint": "best.pt"}


def test_html_tables(run) -> None:
    root, gt, dets, report = run
    page = _parse(report)
    summary = {row[0]: row[2] for row in page.tables["summary"][1:]}
    expected = coco_evaluate(gt, dets)
    assert list(summary) == COCO_KEYS
    assert summary["AP50"] == f"{expected['AP50']:.3f}"
    assert summary["APl"] == "n/a"  # no large object: pycocotools' -1
    per_class = page.tables["per-class"]
    assert per_class[0][:4] == ["class", "AP", "AP50", "AR100"]
    names = [row[0] for row in per_class[1:]]
    assert names == ["circle", "square", WEIRD_NAME]  # worst first, no-gt class last
    assert per_class[1][1] == f"{expected['per_class']['circle']['AP']:.3f}"
    assert per_class[1][4:] == ["5", "1", "1", "4"]  # circle: gt, TP, FP, FN
    assert page.tables["info"][0] == ["checkpoint", "best.pt"]
    text = report.read_text(encoding="utf-8")
    assert "cow &lt;b&gt;&amp;" in text and WEIRD_NAME not in text


def test_html_images_are_embedded_and_offline(run) -> None:
    root, _, _, report = run
    page = _parse(report)
    kinds = []
    for src in page.images:
        if src.startswith("data:"):
            header, payload = src.split(",", 1)
            kinds.append(header)
            decoded = cv2.imdecode(np.frombuffer(base64.b64decode(payload), np.uint8), 1)
            assert decoded is not None and decoded.size > 0
        else:
            assert (root / "out" / src).is_file(), src
    assert kinds.count("data:image/png;base64") == len(PNGS)
    # Images 2..5 miss a circle (F1 < 1); image 2 also has a false positive: worst first.
    assert kinds.count("data:image/jpeg;base64") == 4
    worst = page.tables["worst-images"][1:]
    assert [row[0] for row in worst] == ["img_2.png", "img_3.png", "img_4.png", "img_5.png"]
    assert worst[0][2:] == ["0.500", "1", "1", "1"]  # F1, TP, FP, FN
    text = report.read_text(encoding="utf-8").lower()
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_without_images_and_from_json_files(tmp_path) -> None:
    gt, dets = _synthetic_run(tmp_path)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(dets))
    report = write_detection_report(tmp_path / "out", tmp_path / "gt.json", tmp_path / "pred.json")
    page = _parse(report)
    assert not any(src.startswith("data:image/jpeg") for src in page.images)
    assert len(page.tables["worst-images"]) == 1 + 4  # listed without pictures
    assert "No images folder was given" in report.read_text(encoding="utf-8")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["AP"] == coco_evaluate(gt, dets)["AP"]


def test_missing_image_file_and_given_metrics(tmp_path) -> None:
    gt, dets = _synthetic_run(tmp_path)
    (tmp_path / "images" / "img_3.png").unlink()
    given = coco_evaluate(gt, dets)
    given["AP"] = 0.123456
    report = write_detection_report(
        tmp_path / "out", gt, dets, images_dir=tmp_path / "images", metrics=given, worst_k=2
    )
    page = _parse(report)
    assert [row[0] for row in page.tables["worst-images"][1:]] == ["img_2.png", "img_3.png"]
    assert sum(src.startswith("data:image/jpeg") for src in page.images) == 1
    assert "were not found" in report.read_text(encoding="utf-8")
    assert {row[0]: row[2] for row in page.tables["summary"][1:]}["AP"] == "0.123"
    with pytest.raises(ValueError, match="metrics lacks"):
        write_detection_report(tmp_path / "bad", gt, dets, metrics={"AP": 0.5})

"""Convert detection datasets between the COCO-json, VOC-xml and YOLO-txt layouts.

    from detseg.convert.datasets import convert_dataset
    summary = convert_dataset("datasets/shapes", "datasets/shapes_yolo", "coco", "yolo")
    # then: tools/train.py CONFIG --data datasets/shapes_yolo/data.yaml

(``python tools/convert_dataset.py --from coco --to yolo SRC DST`` on the command line.)

A reader per format fills a format-neutral :class:`DatasetRecord` (images with path, width,
height; objects with a ``xyxy`` pixel box, a 0-based class index and crowd / difficult flags);
a writer per format writes it in that format's default detseg layout (the layouts of
``datasets/README.md`` and the defaults of ``detseg.data.registry.DATA_DEFAULTS``) plus a
``data.yaml`` holding the ``data`` config section of the result. Images are copied (or
symlinked), never re-encoded.

What carries over, and how:

- Boxes keep their float value in COCO and YOLO (YOLO with 8 decimals of the normalised
  coordinates). VOC stores integer pixel indices: each box edge is rounded to the nearest pixel
  edge, so a round trip through VOC moves an edge by at most half a pixel. Every box is clipped
  to its image; a non-finite box, or one with no area inside the image, is skipped and counted.
- Classes come from the source: COCO categories (in id order; the splits must agree), YOLO
  ``classes.txt``, VOC its ``classes.txt`` (written by the VOC writer) or else the sorted names
  found in the xml files. Given ``classes``, objects are matched to them by name and other
  objects are skipped and counted (for a YOLO source without ``classes.txt`` they name the class
  indices). COCO output numbers categories ``1..K`` in class order; YOLO output uses ``0..K-1``.
  YOLO and VOC output write the names one per line (``classes.txt``): a blank name or one with
  a line break is refused, naming it (it would shift or drop the names after it).
- Sources are read by the training readers' rules: a YOLO label line with a coordinate above 2
  (pixels, not normalised) is skipped and named, and a split mostly of such lines is an error;
  VOC xml tag namespaces are ignored.
- Image sizes and EXIF orientation follow the training readers. A COCO / VOC source's size
  is the stored pixels' (the image header's), except for a JPEG whose EXIF orientation turns it
  a quarter (5..8) and whose COCO ``width`` / ``height`` or VOC ``<size>`` is the stored size
  transposed: training reads that image as displayed
  (:func:`detseg.data.image_io.labels_follow_orientation`), so its boxes are taken as drawn on
  the displayed image. A YOLO source is read as displayed (every EXIF orientation applied, as
  Ultralytics and the YOLO training reader do; the size is the displayed one). COCO and VOC
  output state the displayed size of a non-square quarter turn (read as displayed again) and
  move the boxes and outlines of any other image annotated as displayed to its stored pixels
  (:func:`~detseg.convert.datasets.records.for_stated_size`); YOLO output is normalised to the
  displayed image (:func:`~detseg.convert.datasets.records.in_displayed_pixels`).
- Images without objects are kept: a COCO image with no annotations, a VOC xml without
  ``<object>``, an empty YOLO label file.
- COCO ``iscrowd`` regions stay crowd in COCO output, become ``difficult`` objects in VOC output
  (evaluation ignores both), and are dropped and counted in YOLO output, which has no flag.
- VOC ``difficult`` objects become COCO annotations with ``iscrowd: 0`` and an extra
  ``"difficult": 1`` field: COCO tools count them as ordinary objects (as training does), and a
  conversion back to VOC restores the flag. YOLO output writes them as ordinary objects.
- VOC ``truncated`` objects get an extra ``"truncated": 1`` COCO field the same way and keep
  ``<truncated>1</truncated>`` in VOC output; YOLO output has no such flag.
- Instance masks: a YOLO segment line (``class x1 y1 x2 y2 ...``) becomes a COCO polygon
  ``segmentation`` (its box is the polygon's extent). COCO ``segmentation`` is read only for
  YOLO output with ``segments=True`` (``--segments``): Ultralytics segment lines, a polygon's
  parts joined into one ring, as are an RLE mask's outer contours along its pixels' edges (its
  extent is the mask's box; an outline that spans less than its annotation's box, which YOLO
  training would read as a smaller box, is counted in a warning). Other output is boxes only.
- A detseg data file as the source is read by its split keys
  (:mod:`detseg.convert.datasets.source_layout`).
- VOC output ids are the image file stems (whitespace replaced by ``_``: a split file line
  is read up to its first space), prefixed with the split (``train_000000``) when two splits
  share a stem; ``trainval.txt`` is written when both ``train`` and ``val`` are, and VOC
  input leaves ``trainval`` out of its default splits when ``train`` and ``val`` are there.
"""

from detseg.convert.datasets.convert import (
    DATASET_FORMATS,
    ConversionSummary,
    SplitSummary,
    convert_dataset,
    find_splits,
    read_dataset,
)
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    ObjectRecord,
    SplitRecord,
)

__all__ = [
    "DATASET_FORMATS",
    "ConversionSummary",
    "DatasetRecord",
    "ImageRecord",
    "ObjectRecord",
    "SplitRecord",
    "SplitSummary",
    "convert_dataset",
    "find_splits",
    "read_dataset",
]

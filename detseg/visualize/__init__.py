"""Drawing detections (boxes, instance masks) and segmentation label maps with OpenCV.

Images here are ``uint8`` numpy arrays ``[H, W, 3]`` in RGB order (convert a
detseg image tensor with :func:`tensor_to_rgb`); :func:`save_rgb` writes one to
disk (OpenCV wants BGR, the conversion happens there and nowhere else).
Label ``k`` (``1..K``) has colour ``class_colors(K)[k - 1]`` in both drawings. Class names in
any script are drawn (non-ASCII ones with a system font, :mod:`detseg.text_drawing`).

- :mod:`~detseg.visualize.palette`: :func:`class_colors` (one colour per class) and
  :func:`text_color` (black or white text on a colour).
- :mod:`~detseg.visualize.drawing_inputs`: the image, label-map and opacity inputs, checked
  and converted (:func:`tensor_to_rgb`, :func:`check_opacity`).
- :mod:`~detseg.visualize.captions`: caption tabs: text and line sizes, shortened text,
  placement (:func:`place_captions`).
- :mod:`~detseg.visualize.instance_masks`: instance masks blended in and outlined.
- :mod:`~detseg.visualize.detections`: :func:`draw_detections`.
- :mod:`~detseg.visualize.segmentation`: :func:`draw_segmentation` with its legend.
- :mod:`~detseg.visualize.saving`: :func:`save_rgb`, :func:`save_label_map` and
  :func:`png_bytes` (a drawing as a PNG file's bytes, for notebooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detseg.lazy_names import names_listed, names_on_first_use

if TYPE_CHECKING:
    from detseg.visualize.captions import (
        fit_caption,
        line_thickness,
        place_captions,
        shorten_text,
        text_style,
    )
    from detseg.visualize.detections import NO_DETECTIONS_COLOR, draw_detections
    from detseg.visualize.drawing_inputs import check_opacity, tensor_to_rgb
    from detseg.visualize.palette import PALETTE_SIZE, class_colors, text_color
    from detseg.visualize.saving import LOSSLESS_SUFFIXES, png_bytes, save_label_map, save_rgb
    from detseg.visualize.segmentation import draw_segmentation

#: The module of each public name, imported when the name is first read. None of them imports
#: torch: numpy inputs are drawn without it (the plots and the gallery of a predictions-file
#: evaluation), and a tensor input comes with torch loaded already.
_MODULES = {
    "fit_caption": "captions",
    "line_thickness": "captions",
    "place_captions": "captions",
    "shorten_text": "captions",
    "text_style": "captions",
    "NO_DETECTIONS_COLOR": "detections",
    "draw_detections": "detections",
    "check_opacity": "drawing_inputs",
    "tensor_to_rgb": "drawing_inputs",
    "PALETTE_SIZE": "palette",
    "class_colors": "palette",
    "text_color": "palette",
    "LOSSLESS_SUFFIXES": "saving",
    "png_bytes": "saving",
    "save_label_map": "saving",
    "save_rgb": "saving",
    "draw_segmentation": "segmentation",
}


__getattr__ = names_on_first_use(__name__, _MODULES, globals())
__dir__ = names_listed(_MODULES, globals())


__all__ = [
    "LOSSLESS_SUFFIXES",
    "NO_DETECTIONS_COLOR",
    "PALETTE_SIZE",
    "check_opacity",
    "class_colors",
    "draw_detections",
    "draw_segmentation",
    "fit_caption",
    "line_thickness",
    "place_captions",
    "png_bytes",
    "save_label_map",
    "save_rgb",
    "shorten_text",
    "tensor_to_rgb",
    "text_color",
    "text_style",
]

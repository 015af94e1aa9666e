"""The fixed choices of detseg's options, as plain data: importing them imports no torch.

The tools' ``argparse`` parsers offer these values (so that ``--help`` and argument errors come
back without loading torch), the config schema types its keys with the ``Literal`` types here,
and the library modules that implement the options import them from here, so each list has
one definition. One topic per module:

- :mod:`~detseg.choices.tta_modes`: segmentation test-time augmentation modes (``eval.tta``).
- :mod:`~detseg.choices.detection_metrics`: detection metrics (``eval.metric``).
- :mod:`~detseg.choices.export_formats`: export file formats and the default ONNX opset.
- :mod:`~detseg.choices.dataset_formats`: the dataset layouts that ``convert_dataset`` converts.
- :mod:`~detseg.choices.torchvision_archs`: the torchvision builders with a detseg twin.
- :mod:`~detseg.choices.compile_modes`: what ``torch.compile`` compiles (``model.compile``).
- :mod:`~detseg.choices.training_options`: the optimizer, schedule, learning-rate scaling and
  non-finite loss options of the ``train`` section.

This package imports nothing itself; import the module you need.
"""

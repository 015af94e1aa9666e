"""Benchmarks: detseg beside its reference (torchvision, pycocotools), always in one run.

The numbers that count are ratios and agreements measured in the same process on the same
inputs; ``tools/benchmark.py`` prints them.

- :mod:`~detseg.benchmark.throughput`: timing of training steps and inference calls (images/s,
  interleaved so that a change of machine load hits both models alike), autocast.
- :mod:`~detseg.benchmark.profiling`: kernel launches, host-device syncs and the top ops of
  the same calls under ``torch.profiler``.
- :mod:`~detseg.benchmark.host_syncs`: ``HostSyncRecorder``, the calls that would make a GPU
  step wait for the device, found on the CPU.
- :mod:`~detseg.benchmark.twins`: the torchvision builders with a detseg twin, built in pairs.
- :mod:`~detseg.benchmark.comparison`: ``ModelComparison``, a model and its twin's
  throughputs, and their report lines.
- :mod:`~detseg.benchmark.detection_vs_torchvision` /
  :mod:`~detseg.benchmark.segmentation_vs_torchvision`: a detector / a segmenter beside its
  twin (segmentation checks that logits and losses agree first).
- :mod:`~detseg.benchmark.model_vs_torchvision`: either of them by builder name, the code path
  of ``benchmark.py model``.
- :mod:`~detseg.benchmark.compilation`: ``torch.compile`` of both models alike (their
  backbones, or the whole timed calls).
- :mod:`~detseg.benchmark.suite` / :mod:`~detseg.benchmark.suite_runner` /
  :mod:`~detseg.benchmark.suite_report`: the target table as data, run in one process, written
  as markdown and JSON (the markdown by :mod:`~detseg.benchmark.suite_markdown`, its head by
  :mod:`~detseg.benchmark.suite_environment`, the profiled row's counts against their targets
  by :mod:`~detseg.benchmark.suite_profile_checks`).
- :mod:`~detseg.benchmark.ssd_postprocess`: SSD post-processing alone beside torchvision's.
- :mod:`~detseg.benchmark.synthetic_coco` / :mod:`~detseg.benchmark.coco_backends`: a random
  COCO set, and the faster-coco-eval and pycocotools backends timed and compared on it.
"""

"""Targets of a dataset of one's own are checked where the loader fetches them.

A ``torch.utils.data.Dataset`` passed to ``build_loader`` / ``build_train_loader`` may return
targets that break the contract: masks of 0/255 read from PNG files (Mask R-CNN's mask loss then
trains on targets of 255, silently), 0-based labels (trained as background on a GPU), ``xywh``
boxes, one box as ``[4]``, NaN coordinates. Each is one ``TargetError`` line naming the dataset
index, the key, what was found and the fix, raised in the loading process before any model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset
from user_error_line import user_error_line

from detseg.data.loader import Batch, build_loader
from detseg.data.sample_checks import TargetError
from detseg.data.train_loader import build_train_loader

SIZE = 32


def good_target() -> dict:
    masks = torch.zeros(2, SIZE, SIZE, dtype=torch.uint8)
    masks[0, 4:20, 4:20] = 1
    masks[1, 10:30, 12:28] = 1
    return {
        "boxes": torch.tensor([[4.0, 4.0, 20.0, 20.0], [12.0, 10.0, 28.0, 30.0]]),
        "labels": torch.tensor([1, 2]),
        "masks": masks,
    }


def broken(case: str) -> dict:
    target = good_target()
    if case == "masks 0/255":
        target["masks"] = target["masks"] * 255
    elif case == "float masks 0..255":
        target["masks"] = target["masks"].float() * 255
    elif case == "masks of another size":
        target["masks"] = torch.ones(2, SIZE // 2, SIZE, dtype=torch.uint8)
    elif case == "label 0":
        target["labels"] = torch.tensor([0, 1])
    elif case == "label above K":
        target["labels"] = torch.tensor([1, 3])
    elif case == "float labels":
        target["labels"] = torch.tensor([1.0, 2.0])
    elif case == "xywh boxes":
        target["boxes"] = torch.tensor([[4.0, 4.0, 16.0, 16.0], [12.0, 10.0, 8.0, 20.0]])
    elif case == "one box as [4]":
        target = {"boxes": torch.tensor([4.0, 4.0, 20.0, 20.0]), "labels": torch.tensor([1])}
    elif case == "NaN box":
        target["boxes"][1, 3] = float("nan")
    return target


class UserDataset(Dataset):
    """Two images; item 1 has the broken target. ``classes`` gives K = 2."""

    classes = ["cat", "dog"]
    image_ids = [10, 11]  # the training loader's batches carry them

    def __init__(self, case: str) -> None:
        self.case = case

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        target = good_target() if index == 0 else broken(self.case)
        return torch.rand(3, SIZE, SIZE), target


#: case -> what the one line must say (found, and the fix)
CASES = {
    "masks 0/255": r"target\['masks'\] values are 0\.\.255; instance masks must be 0/1: divide "
    r"by 255 or compare > 0",
    "float masks 0..255": r"target\['masks'\] values are 0\.\.255; .*divide by 255",
    "masks of another size": r"target\['masks'\] has shape \(2, 16, 32\); instance masks must be "
    r"\[2, 32, 32\]",
    "label 0": r"target\['labels'\] holds 0; labels are 1\.\.K .*0 is background",
    "label above K": r"target\['labels'\] holds 3, above K = 2",
    "float labels": r"target\['labels'\] has dtype torch.float32; labels must be int64",
    "xywh boxes": r"target\['boxes'\] row 1 \[12\.0, 10\.0, 8\.0, 20\.0\] has x2 <= x1 .*xywh",
    "one box as [4]": r"target\['boxes'\] has shape \(4,\); boxes must be \[N, 4\] "
    r"\(one box is boxes\[None\]",
    "NaN box": r"target\['boxes'\] row 1 .* is not finite",
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_target_is_one_line_naming_the_item(case):
    loader = build_loader(UserDataset(case), batch_size=2, shuffle=False)
    with pytest.raises(TargetError, match=CASES[case]) as caught:
        next(iter(loader))
    message = str(caught.value)
    assert message.startswith("dataset item 1: ")
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)  # the tools print it as one line


@pytest.mark.parametrize("case", ["masks 0/255", "label 0", "xywh boxes"])
def test_the_training_loader_checks_too(case):
    loader = build_train_loader(UserDataset(case), batch_size=2, num_workers=0, seed=0)
    with pytest.raises(TargetError, match=r"^dataset item 1: " + CASES[case]):
        next(iter(loader))


def test_the_image_file_is_named_where_the_dataset_tells_it():
    class WithFiles(UserDataset):
        def image_path(self, index: int) -> Path:
            return Path("photos") / f"{index}.png"

    loader = build_loader(WithFiles("masks 0/255"), batch_size=2, shuffle=False)
    with pytest.raises(TargetError, match=r"^dataset item 1 \(photos[/\\]1\.png\): target"):
        next(iter(loader))


def test_a_worker_error_is_the_same_one_line_in_the_tools(capsys):
    def main() -> int:
        loader = build_loader(UserDataset("masks 0/255"), 2, shuffle=False, num_workers=1)
        next(iter(loader))
        return 0

    line = user_error_line(main, capsys)
    assert line.startswith("train: error: dataset item 1: target['masks'] values are 0..255")


def test_targets_of_the_contract_pass_unchanged():
    class Fine(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, index: int):
            image = torch.rand(3, SIZE, SIZE)
            target = good_target()
            if index == 1:  # a negative image: no box, no mask needed
                target = {"boxes": torch.zeros((0, 4)), "labels": torch.zeros(0, dtype=torch.int64)}
            elif index == 2:
                target["masks"] = target["masks"].bool()
            elif index == 3:
                target["masks"] = target["masks"].float() * 0.5  # soft targets in [0, 1]
            elif index == 4:
                return None  # an unreadable image: skipped and counted, not checked
            return image, target

    dataset = Fine()
    batches = list(build_loader(dataset, batch_size=5, shuffle=False))
    assert len(batches) == 1 and isinstance(batches[0], Batch)
    assert len(batches[0]) == 4 and batches[0].skipped_images == 1
    assert torch.equal(batches[0].targets[0]["masks"], good_target()["masks"])  # not converted


def test_the_loader_view_keeps_the_dataset_attributes():
    dataset = UserDataset("label 0")
    loader = build_loader(dataset, batch_size=2, shuffle=False)
    assert loader.dataset.classes == ["cat", "dog"]
    assert len(loader.dataset) == 2
    assert loader.dataset.dataset is dataset


def test_a_custom_collate_is_left_alone():
    loader = build_loader(UserDataset("label 0"), batch_size=2, shuffle=False, collate_fn=list)
    assert int(next(iter(loader))[1][1]["labels"][0]) == 0


def test_items_to_predict_on_without_boxes_pass():
    class Images(Dataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: int):
            return torch.rand(3, SIZE, SIZE), {"image_id": index}

    [batch] = list(build_loader(Images(), batch_size=2, shuffle=False))
    assert batch.image_ids == [0, 1]


class WithoutClasses(Dataset):
    """A dataset of one's own that names no classes (no ``classes``, no ``num_classes``); item 1
    holds a label 3, above K = 2 of the model it trains."""

    image_ids = [10, 11]

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        target = good_target()
        if index == 1:
            target["labels"] = torch.tensor([1, 3])
        return torch.rand(3, SIZE, SIZE), target


ABOVE_THE_MODELS_K = (
    r"^dataset item 1: target\['labels'\] holds 3, above K = 2 \(the model's classes\); "
    r"labels are 1\.\.2$"
)


def test_a_label_above_the_given_class_count_is_named():
    loader = build_loader(WithoutClasses(), batch_size=2, shuffle=False, num_classes=2)
    with pytest.raises(TargetError, match=ABOVE_THE_MODELS_K):
        next(iter(loader))


def test_the_training_loader_takes_the_class_count_too():
    loader = build_train_loader(
        WithoutClasses(), batch_size=2, num_workers=0, seed=0, num_classes=2
    )
    with pytest.raises(TargetError, match=ABOVE_THE_MODELS_K):
        next(iter(loader))


def test_a_loader_worker_checks_with_the_given_class_count(capsys):
    def main() -> int:
        loader = build_loader(WithoutClasses(), 2, shuffle=False, num_workers=1, num_classes=2)
        next(iter(loader))
        return 0

    line = user_error_line(main, capsys)
    assert line == "train: error: dataset item 1: target['labels'] holds 3, above K = 2 " + (
        "(the model's classes); labels are 1..2"
    )


def test_without_a_class_count_only_labels_below_1_are_refused():
    [batch] = list(build_loader(WithoutClasses(), batch_size=2, shuffle=False))
    assert batch.targets[1]["labels"].tolist() == [1, 3]


def test_the_given_class_count_is_used_over_the_datasets():
    """``classes`` of the dataset give K = 2; the model's K = 3 holds label 3, K = 1 not 2."""
    [batch] = list(build_loader(UserDataset("label above K"), 2, shuffle=False, num_classes=3))
    assert batch.targets[1]["labels"].tolist() == [1, 3]
    loader = build_loader(UserDataset("label 0"), 2, shuffle=False, num_classes=1)
    with pytest.raises(TargetError, match=r"^dataset item 0: .* holds 2, above K = 1 \(the mod"):
        next(iter(loader))


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "3"])
def test_a_class_count_that_is_no_count_is_refused(bad):
    with pytest.raises(ValueError, match=r"^num_classes must be (an integer )?>= 1, got"):
        build_loader(UserDataset("label 0"), 2, shuffle=False, num_classes=bad)
    with pytest.raises(ValueError, match=r"^num_classes must be (an integer )?>= 1, got"):
        build_train_loader(UserDataset("label 0"), 2, num_workers=0, seed=0, num_classes=bad)

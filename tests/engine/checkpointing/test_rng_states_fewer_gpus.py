"""``--resume`` on a machine that sees fewer GPUs than the one that wrote ``last.pt`` (a smaller
machine, or fewer ``CUDA_VISIBLE_DEVICES``): the saved CUDA random states go to the GPUs there
are, by index, instead of failing with torch's ``IndexError`` on the first GPU it lacks. (No GPU
is needed: torch's CUDA functions are replaced by stand-ins that fail as torch does.)"""

from __future__ import annotations

import torch

from detseg.engine.checkpointing.random_states import rng_state, set_rng_state


def test_saved_states_of_more_gpus_go_to_the_visible_ones(monkeypatch):
    state = rng_state()
    state["cuda"] = [torch.full((4,), 7, dtype=torch.uint8), torch.full((4,), 9, dtype=torch.uint8)]
    restored: dict[int, torch.Tensor] = {}

    def fake_set_rng_state(new_state: torch.Tensor, device: int | str = "cuda") -> None:
        index = device if isinstance(device, int) else 0
        if index >= 1:  # torch: default_generators[index] on a machine with one GPU
            raise IndexError("tuple index out of range")
        restored[index] = new_state

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state", fake_set_rng_state)
    monkeypatch.setattr(torch.cuda.random, "set_rng_state", fake_set_rng_state)
    set_rng_state(state)
    assert list(restored) == [0]
    assert torch.equal(restored[0], state["cuda"][0])


def test_the_cpu_generators_are_restored():
    state = rng_state()
    expected = torch.rand(3)
    torch.manual_seed(123)
    set_rng_state(state)
    assert torch.equal(torch.rand(3), expected)

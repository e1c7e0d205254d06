"""``minigrad.random``: the default generator's seed and state, as ``torch.random``.

The generator itself and the streams live in ``minigrad/_random.py``.
"""
from ._random import fork_rng, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng"]

"""W6: random draws on torch's CPU stream: ``randn(10**6)``, ``rand(10**6)``, ``randperm(60000)``.

minigrad draws exactly torch's numbers (same seed, same values, bit for bit),
which costs NumPy passes that torch's C++ kernels do not make: the float32
normal emulates torch's AVX2 Box-Muller (its log/sincos polynomials and
FMAs) and the Fisher-Yates shuffle is solved in closed form with a sort and
pointer jumping.  The NumPy floor is ``np.random.Generator`` on its own (faster)
stream: what a generator that does not match torch costs.  Unit: ms per draw.

Run alone for the minigrad/torch ratios, timed interleaved (one thread each): the medians of the repeats'
per-draw times, and the ratio of their minimums too:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.workloads.w6_random [--repeats 7]
"""
from __future__ import annotations

import numpy as np

from ..harness import Impl
from . import _common

DRAWS = {"randn": 10 ** 6, "rand": 10 ** 6, "randperm": 60000}


def cases(quick):
    return [dict(id=f"W6-{kind}", title=f"W6 {kind}({n})", kind=kind, n=n, steps=3 if quick else 10, unit="ms/draw")
            for kind, n in DRAWS.items()]


def torchlike(name):
    def build(data, case):
        lib = _common.module(name)
        lib.manual_seed(0)
        draw, n = getattr(lib, case["kind"]), case["n"]

        def step(i):
            draw(n)
        return Impl(step)
    return build


def numpy_floor(data, case):
    rng = np.random.default_rng(0)
    n = case["n"]
    draw = {"randn": lambda: rng.standard_normal(n, dtype=np.float32),
            "rand": lambda: rng.random(n, dtype=np.float32),
            "randperm": lambda: rng.permutation(n)}[case["kind"]]

    def step(i):
        draw()
    return Impl(step)


IMPLS = {"minigrad": torchlike("minigrad"), "torch": torchlike("torch"), "numpy": numpy_floor}


def main(argv=None):
    import argparse
    import statistics
    import time

    p = argparse.ArgumentParser(description="W6: minigrad's and torch's random draws, timed interleaved")
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    builders = {fw: IMPLS[fw] for fw in ("minigrad", "torch", "numpy")}
    print(f"{'case':14s} {'minigrad ms':>12s} {'torch ms':>10s} {'numpy ms':>10s} {'minigrad/torch':>15s} "
          f"{'(of the mins)':>14s}")
    for case in cases(quick=False):
        impls = {fw: b(None, case) for fw, b in builders.items()}
        for impl in impls.values():                    # warm-up
            impl.step(0)
        times = {fw: [] for fw in impls}
        for r in range(args.repeats):                  # interleaved, the order rotating each repeat
            order = list(impls)[r % len(impls):] + list(impls)[:r % len(impls)]
            for fw in order:
                t0 = time.perf_counter()
                for i in range(case["steps"]):
                    impls[fw].step(i)
                times[fw].append((time.perf_counter() - t0) / case["steps"])
        med = {fw: statistics.median(ts) * 1e3 for fw, ts in times.items()}
        low = {fw: min(ts) * 1e3 for fw, ts in times.items()}
        print(f"{case['id']:14s} {med['minigrad']:12.2f} {med['torch']:10.2f} {med['numpy']:10.2f} "
              f"{med['minigrad'] / med['torch']:15.2f} {low['minigrad'] / low['torch']:14.2f}")


if __name__ == "__main__":
    from .. import harness
    harness.limit_loaded_pools()
    main()

"""Memory: peak RSS of a W2 epoch (batch 64), and RSS across many W2 steps (it must be flat).

Each framework runs in a fresh subprocess (``run.py --child mem-w2``), so one
framework's allocations and allocator state never count against another.  After
setup (data, model, one warm-up step) the kernel's RSS high-water mark is reset,
so the reported peak is the epoch's own (``harness.peak_mb``: VmHWM).  RSS is then sampled every
``sample_every`` steps up to ``steps``; the slope of a least-squares line through
the samples (KiB per 1,000 steps) says whether memory grows.
"""
from __future__ import annotations

import gc
import time

from ..harness import peak_mb, reset_peak, rss_mb
from . import w2_mlp

EPOCH = 781


def w2_memory_child(fw, data, steps=10_000, sample_every=1_000):
    case = dict(id="W2-b64", bs=64, hidden=200)
    impl = w2_mlp.IMPLS[fw](data, case)
    impl.step(0)
    if impl.sync:
        impl.sync()
    gc.collect()
    setup = rss_mb()
    reset = reset_peak()
    samples, epoch_peak = [(0, setup)], None
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        impl.step(i)
        if i == EPOCH:
            if impl.sync:
                impl.sync()
            epoch_peak = peak_mb() if reset else rss_mb()
        if i % sample_every == 0:
            if impl.sync:
                impl.sync()
            samples.append((i, rss_mb()))
    seconds = time.perf_counter() - t0
    xs = [s for s, _ in samples[1:]]
    ys = [r for _, r in samples[1:]]
    slope = _slope(xs, ys) * 1000 * 1024 if len(xs) >= 2 else None     # KiB per 1000 steps
    return {"framework": fw, "steps": steps, "sample_every": sample_every, "rss_after_setup_mb": setup,
            "epoch_peak_mb": epoch_peak, "epoch_peak_growth_mb": None if epoch_peak is None else epoch_peak - setup,
            "samples": samples, "slope_kib_per_1000_steps": slope,
            "growth_mb": ys[-1] - ys[0] if len(ys) >= 2 else None, "seconds": seconds,
            "peak_source": "VmHWM after resetting the high-water mark" if reset else "RSS sample"}


def _slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0

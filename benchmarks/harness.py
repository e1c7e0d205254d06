"""Timing, data and machine description shared by every workload.

Thread policy
-------------
``pin_threads()`` runs before NumPy (or anything else) is imported: it sets
OMP/OpenBLAS/MKL/vecLib/NumExpr threads to 1, tinygrad's ``NUM_CPU_THREADS`` to
1 and XLA's Eigen pool off, so every framework computes on one core: a
comparison of what each framework does per step, not of how it parallelises.
``limit_loaded_pools()`` then pins, through threadpoolctl, the pools of every
BLAS/OpenMP library that importing the frameworks loaded, and the report
records ``threadpool_info()`` as it was during timing.

The one exception is the framework ``torch-default``: the same torch code, run
in the same process with ``torch.set_num_threads(os.cpu_count())`` around its
warm-up and each of its timed blocks (and set back to 1 after).  Caveats: it is
an emulation of torch's default (which is the number of *physical* cores, read
at start-up), the inter-op pool and NumPy's BLAS stay at one thread, and on a
loaded machine a second thread may compete with other processes.

Timing method
-------------
Each workload builds one ``Cell`` per framework, all from the same arrays and
the same initial weights.  ``check`` runs the first steps of each cell and
compares the losses with the NumPy floor's (the same math must give the same
numbers); those first calls are timed singly and reported as warm-up (JIT
compilation lands there).  ``warm`` runs a further warm-up block, which also
gives a per-step estimate; a cell whose full block (e.g. a whole epoch) would
exceed the time budget times fewer steps per repeat, and says so.
``time_interleaved`` then runs the repeats round-robin over the frameworks,
rotating the order each round, with ``gc.collect()`` before each block, so
noise from other processes hits every framework alike.  A result is the median
and the min-max over the repeats of (block time / steps).

Garbage collection: after setup and again after warm-up, ``gc.freeze()`` moves
every live object (the frameworks' import-time heaps, the models, JIT caches)
out of the collector's scans, so neither the ``gc.collect()`` before a block nor
an automatic collection inside one makes a framework pay for another's heap
(a full collection of this process's ~600k objects takes 0.3 s).
"""
from __future__ import annotations

import contextlib
import gc
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUM_CPU_THREADS": "1",                       # tinygrad's CPU device
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def pin_threads() -> dict:
    """Set the thread variables (before NumPy is imported); returns what was there before."""
    before = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    return before


def limit_loaded_pools():
    """Pin every BLAS/OpenMP pool loaded so far to one thread (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1)


def thread_report() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl not installed"}]
    out = []
    for info in threadpool_info():
        out.append({k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                              "threading_layer", "architecture")}
                   | {"library": os.path.basename(info.get("filepath", ""))})
    return out


def machine() -> dict:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = round(int(line.split()[1]) / 2**20, 1)
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": affinity, "memory_gib": mem,
            "platform": platform.platform(), "python": sys.version.split()[0],
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def git_state(root) -> dict:
    """The commit minigrad was measured at, and whether minigrad/ had uncommitted changes."""
    import subprocess
    def git(*a):
        try:
            return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = [ln for ln in git("status", "--porcelain", "--", "minigrad").splitlines() if ln.strip()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "minigrad_files_changed": len(changed)}


# ===================================================================== data ==

@dataclass
class Data:
    """The arrays every framework gets (float32 inputs, int64 labels), and the initial weights."""
    x: Any            # (n, 784) uniform [0, 1)
    y: Any            # (n,) int64, argmax of a fixed random linear teacher
    onehot: Any       # (n, 10) float32
    img: Any          # (n_img, 1, 32, 32) uniform [0, 1)
    img_y: Any
    img_onehot: Any
    seed: int = 0
    _cache: dict = field(default_factory=dict)

    def _frozen(self, key, arrays):
        for a in arrays:
            a.flags.writeable = False     # every framework copies the initial weights
        self._cache[key] = arrays
        return arrays

    def rng(self, tag: str):
        import numpy as np
        return np.random.default_rng([self.seed, sum(map(ord, tag))])

    def logreg_weights(self):
        """The seed tutorial's init: randn(784, 10) / sqrt(784), zero bias."""
        import numpy as np
        if "logreg" not in self._cache:
            rng = self.rng("logreg")
            w = (rng.standard_normal((784, 10)) / math.sqrt(784)).astype(np.float32)
            self._frozen("logreg", (w, np.zeros(10, np.float32)))
        return self._cache["logreg"]

    def linear(self, tag, fan_in, fan_out):
        """torch.nn.Linear's init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)); weight as torch stores it (out, in)."""
        import numpy as np
        key = ("linear", tag, fan_in, fan_out)
        if key not in self._cache:
            rng, bound = self.rng(f"{tag}{fan_in}x{fan_out}"), 1 / math.sqrt(fan_in)
            w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
            b = rng.uniform(-bound, bound, fan_out).astype(np.float32)
            self._frozen(key, (w, b))
        return self._cache[key]

    def mlp_weights(self, hidden=200):
        """[(W1 (hidden, 784), b1), (W2 (10, hidden), b2)]: the W2 network."""
        return [self.linear("mlp1", 784, hidden), self.linear("mlp2", hidden, 10)]

    def conv(self, tag, cin, cout, k):
        import numpy as np
        key = ("conv", tag, cin, cout, k)
        if key not in self._cache:
            rng, bound = self.rng(f"{tag}{cin}x{cout}x{k}"), 1 / math.sqrt(cin * k * k)
            w = rng.uniform(-bound, bound, (cout, cin, k, k)).astype(np.float32)
            b = rng.uniform(-bound, bound, cout).astype(np.float32)
            self._frozen(key, (w, b))
        return self._cache[key]

    def lenet_weights(self):
        """The blitz LeNet, torch layouts: conv (O, C, 3, 3), linear (out, in)."""
        return {"conv1": self.conv("c1", 1, 6, 3), "conv2": self.conv("c2", 6, 16, 3),
                "fc1": self.linear("fc1", 576, 120), "fc2": self.linear("fc2", 120, 84),
                "fc3": self.linear("fc3", 84, 10)}


DENSITY = 0.2     # MNIST's share of nonzero pixels is about 19%


def _pixels(rng, shape):
    """Uniform [0, 1) pixel values, on a random 20% of the pixels (the rest 0, as in MNIST).

    Fully dense uniform inputs make the seed tutorial's lr 0.5 diverge (the loss
    goes 2.4 -> 5.8 -> 17.8 in three steps and the logits head for exp overflow);
    at MNIST's density it trains (mean loss 0.8 after an epoch).  No framework here
    has a sparse path, so the zeros cost the same as any other value.
    """
    import numpy as np
    x = rng.random(shape, dtype=np.float32)
    x *= rng.random(shape, dtype=np.float32) < DENSITY
    return x


def make_data(seed=0, n=50_000, n_img=1024) -> Data:
    """Synthetic MNIST-shaped data (``_pixels``); labels of a fixed random linear teacher."""
    import numpy as np
    rng = np.random.default_rng(seed)
    x = _pixels(rng, (n, 784))
    teacher, tb = rng.standard_normal((784, 10)).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    y = np.argmax((x - DENSITY / 2) @ teacher + tb, axis=1).astype(np.int64)
    img = _pixels(rng, (n_img, 1, 32, 32))
    t2 = rng.standard_normal((1024, 10)).astype(np.float32)
    img_y = np.argmax((img.reshape(n_img, -1) - DENSITY / 2) @ t2, axis=1).astype(np.int64)
    eye = np.eye(10, dtype=np.float32)
    data = Data(x=x, y=y, onehot=eye[y], img=img, img_y=img_y, img_onehot=eye[img_y], seed=seed)
    for a in (data.x, data.y, data.onehot, data.img, data.img_y, data.img_onehot):
        a.flags.writeable = False     # shared by every framework: an in-place update would be an error
    return data


# =================================================================== timing ==

@dataclass
class Impl:
    """One framework's implementation of one workload, ready to run.

    ``step(i)`` runs step ``i`` (batch ``i`` modulo the number of batches) and
    returns the loss (any object ``value`` turns into a float; not forced).
    ``sync()`` waits for asynchronous work (jax, tinygrad) at the end of a timed
    block.  ``prepare()`` runs untimed before each block (W5's chain builds its
    graph there).  ``context()`` wraps warm-up and every block (torch-default's
    thread setting).  ``scale`` multiplies the measured per-step time (an
    extrapolation, explained in ``note``).
    """
    step: Callable[[int], Any]
    sync: Callable[[], Any] | None = None
    value: Callable[[Any], float] = float
    prepare: Callable[[], Any] | None = None
    context: Callable[[], Any] | None = None
    scale: float = 1.0
    note: str = ""
    max_steps: int | None = None       # an upper bound on steps per block (scalar engines)
    check_steps: int | None = None     # fewer first steps to check (scalar engines)


class NotApplicable(Exception):
    """Raised by an implementation builder: this framework cannot run this workload (the reason is shown)."""


@dataclass
class Cell:
    framework: str
    impl: Impl | None
    steps: int                         # steps per timed block
    target_steps: int = 0              # what the workload asks for (an epoch...)
    pos: int = 0
    times: list = field(default_factory=list)       # seconds per step, one per repeat
    first_calls: list = field(default_factory=list)  # seconds of the first single-step calls
    losses: list = field(default_factory=list)
    check: float | None = None
    status: str = "ok"
    note: str = ""

    def run_block(self, n):
        impl = self.impl
        ctx = impl.context() if impl.context else contextlib.nullcontext()
        with ctx:
            if impl.prepare is not None:
                impl.prepare()
            step, start = impl.step, self.pos
            t0 = time.perf_counter()
            for i in range(start, start + n):
                step(i)
            if impl.sync is not None:
                impl.sync()
            dt = time.perf_counter() - t0
        self.pos += n
        return dt

    def single_calls(self, k):
        """k single steps, each timed alone; returns their losses (as floats)."""
        impl = self.impl
        ctx = impl.context() if impl.context else contextlib.nullcontext()
        losses = []
        with ctx:
            for _ in range(k):
                if impl.prepare is not None:
                    impl.prepare()
                t0 = time.perf_counter()
                out = impl.step(self.pos)
                if impl.sync is not None:
                    impl.sync()
                self.first_calls.append(time.perf_counter() - t0)
                self.pos += 1
                losses.append(impl.value(out) if out is not None else None)
        return losses

    def stats(self) -> dict:
        d = {"framework": self.framework, "status": self.status, "note": self.note,
             "steps_per_repeat": self.steps, "target_steps": self.target_steps,
             "repeats": len(self.times), "first_calls_s": self.first_calls, "check_rel_diff": self.check,
             "losses": self.losses}
        if self.times:
            d.update(median_s=statistics.median(self.times), min_s=min(self.times), max_s=max(self.times),
                     times_s=self.times)
        return d


def fail(cell: Cell, exc: BaseException, where: str):
    msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
    cell.status = f"error in {where}: {msg}"
    cell.impl = None


def check(cells: list[Cell], k: int, ref="numpy", rtol=2e-3):
    """Run each cell's first k steps singly (timed: warm-up / JIT compile); compare losses with the reference."""
    for c in cells:
        if c.status != "ok":
            continue
        try:
            c.losses = c.single_calls(min(k, c.impl.check_steps or k))
        except Exception as e:          # noqa: BLE001  a peer's failure is reported, not fatal
            fail(c, e, "first steps")
    refcell = next((c for c in cells if c.framework == ref and c.status == "ok"), None)
    if refcell is None:
        return
    for c in cells:
        if c.status != "ok" or not c.losses or c.impl.scale != 1.0:
            continue
        diffs = [abs(a - b) / max(abs(b), 1e-12) for a, b in zip(c.losses, refcell.losses)
                 if a is not None and b is not None]
        c.check = max(diffs) if diffs else None
        if c.check is not None and not c.check <= rtol:
            c.note = (c.note + "; " if c.note else "") + f"losses differ from the NumPy floor's (rel {c.check:.1e})"


def warm(cells: list[Cell], warm_steps: int, budget_s: float, min_steps: int = 1):
    """A warm-up block per cell; then fit each block into the budget (fewer steps, said in the note)."""
    for c in cells:
        if c.status != "ok":
            continue
        n = max(1, min(warm_steps, c.steps, c.impl.max_steps or warm_steps))
        try:
            gc.collect()
            per_step = c.run_block(n) / n
        except Exception as e:          # noqa: BLE001
            fail(c, e, "warm-up")
            continue
        cap = c.impl.max_steps or c.steps
        fit = max(min_steps, int(budget_s / max(per_step, 1e-9)))
        steps = min(c.steps, cap, fit)
        if steps < c.steps:
            c.note = (c.note + "; " if c.note else "") + f"{steps} of {c.steps} steps per repeat, per-step time extrapolated"
            c.steps = steps


def time_interleaved(cells: list[Cell], repeats: int):
    """Round-robin: every repeat runs one block of each framework, the order rotating by one each repeat."""
    live = [c for c in cells if c.status == "ok"]
    for r in range(repeats):
        k = r % max(1, len(live))
        for c in live[k:] + live[:k]:
            if c.status != "ok":
                continue
            gc.collect()
            try:
                dt = c.run_block(c.steps)
            except Exception as e:      # noqa: BLE001
                fail(c, e, "timing")
                continue
            c.times.append(dt / c.steps * c.impl.scale)


def measure(builders: dict, frameworks: list, data, case, *, steps: int, repeats: int, warm_steps: int,
            budget_s: float, check_steps: int = 3, log=print) -> list[Cell]:
    """Build, check, warm and time one case for every framework; returns the cells."""
    cells = []
    for fw in frameworks:
        cell = Cell(framework=fw, impl=None, steps=steps, target_steps=steps)
        builder = builders.get(fw)
        if builder is None:
            cell.status = "n/a: not implemented for this workload"
        else:
            try:
                cell.impl = builder(data, case)
                cell.note = cell.impl.note
            except NotApplicable as e:
                cell.status = f"n/a: {e}"
            except Exception as e:      # noqa: BLE001
                fail(cell, e, "setup")
        cells.append(cell)
    gc.collect()
    gc.freeze()          # setup's objects (and every framework's import-time heap) leave the collector's scans
    try:
        check(cells, check_steps)
        warm(cells, warm_steps, budget_s)
        gc.collect()
        gc.freeze()
        time_interleaved(cells, repeats)
    finally:
        gc.unfreeze()
    for c in cells:
        if c.times:
            med = statistics.median(c.times)
            log(f"    {c.framework:14s} {med * 1e6:12.1f} us/step  [{min(c.times) * 1e6:.1f}-{max(c.times) * 1e6:.1f}]"
                f"  x{c.steps}{'  ' + c.note if c.note else ''}")
        else:
            log(f"    {c.framework:14s} {c.status}")
    for c in cells:                     # free the models before the next case
        c.impl = None
    gc.collect()
    return cells


# =================================================================== memory ==

def rss_mb() -> float:
    """Current resident set size in MiB (psutil if installed, else /proc/self/statm)."""
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0: write 5 to /proc/self/clear_refs).

    Without it the peak would still hold data generation's or an import's; with
    it, ``peak_mb()`` is the peak since this call.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """Peak RSS (MiB) since the last ``reset_peak``: the kernel's ``VmHWM`` (/proc/self/status).

    Not ``resource.getrusage().ru_maxrss``: in a subprocess it is at least the
    *parent's* RSS at fork (Linux carries the pre-exec high-water mark into
    ``ru_maxrss``), which here is the whole benchmark process, and
    ``clear_refs`` does not reset that part.  ``getrusage`` is the fallback
    where /proc is missing.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

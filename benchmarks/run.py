#!/usr/bin/env python
"""minigrad's benchmarks: every workload, every framework, interleaved in one run.

    .venv/bin/python benchmarks/run.py [--quick] [--only W1,W4] [--frameworks minigrad,torch,...]

Writes benchmarks/results/results.md, results.json and *.png (see benchmarks/README.md).
Workloads: W1 W2 W3 W4 W5 W6 MEM.  Frameworks: minigrad torch torch-default numpy autograd
mygrad dezero chainer micrograd tinygrad jax jax-jit (missing peers are reported, not fatal).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import harness  # noqa: E402

THREAD_ENV_BEFORE = harness.pin_threads()        # before NumPy is imported anywhere

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from benchmarks import frameworks as fwmod  # noqa: E402
from benchmarks import workloads  # noqa: E402

ALL_WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "MEM"]
# Not in the 2-minute smoke run (name them in --frameworks to include them): micrograd takes seconds a
# step even on 2 rows; eager jax traces every op (1-5 s of first calls per workload, ~10 ms a step);
# tinygrad's TinyJit spends ~20 s compiling across the workloads (14 s for LeNet alone).
QUICK_EXCLUDE = {"micrograd", "jax", "tinygrad"}
MEMORY_EXCLUDE = {"micrograd": "scalar engine, seconds per step", "torch-default": "same process image as torch",
                  "jax": "eager jax: ~10 ms a step; jax-jit is measured"}
TARGETS = [  # (case, max ratio of minigrad to torch at its faster thread setting)
    ("W1", 0.5), ("W4-64", 0.75), ("W2-b64", 1.0), ("W2-b1", 1.0), ("W3", 2.0),
    ("W6-randn", 2.0), ("W6-rand", 2.0), ("W6-randperm", 2.0)]
FLOOR_TARGETS = [("W1", 1.4), ("W2-b64", 1.4), ("W2-b1", 1.4)]
MAIN_CASES = ["W1", "W2-b64", "W2-b1", "W3", "W4-1", "W4-64"]
PROFILE_STEPS = {"W1": 400, "W2-b64": 400, "W2-b1": 2000, "W3": 40, "W4-1": 5000, "W4-64": 5000}


def log(*a):
    print(*a, flush=True)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a smoke run in under 2 minutes: fewer steps per repeat, "
                   "smaller W5 grid, micrograd/eager jax/tinygrad left out, memory for minigrad and torch only")
    p.add_argument("--only", default=",".join(ALL_WORKLOADS), help="comma list of W1 W2 W3 W4 W5 W6 MEM")
    p.add_argument("--frameworks", default=None, help="comma list (default: all; see frameworks.ORDER)")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per cell (at least 5 for the report)")
    p.add_argument("--out", default=None, help="output folder (default benchmarks/results, or "
                   "benchmarks/results/quick for --quick, which git ignores)")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile of minigrad for missed targets")
    p.add_argument("--reprofile", metavar="RESULTS_JSON", default=None,
                   help="only redo the minigrad profiles for the targets missed in RESULTS_JSON, and re-render")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--framework", default=None, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--sample-every", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ============================================================ subprocesses ==

def child(args):
    """Memory measurements, each in a fresh process: print one JSON line."""
    warnings.filterwarnings("ignore")
    fw = fwmod.load(args.framework)
    if not fw.ok:
        print(json.dumps({"error": fw.status}))
        return 0
    harness.limit_loaded_pools()
    if args.child == "mem-w2":
        from benchmarks.workloads import memory
        data = harness.make_data()
        out = memory.w2_memory_child(args.framework, data, args.steps, args.sample_every)
    elif args.child == "mem-chain":
        from benchmarks.workloads import w5_scaling
        out = w5_scaling.chain_memory_child(args.framework, args.n, harness.make_data(n=128, n_img=64))
    else:
        raise SystemExit(f"unknown child {args.child}")
    print(json.dumps(out))
    return 0


def run_child(kind, fw, timeout=600, **kw):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, "--framework", fw]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [ln for ln in p.stdout.strip().splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {p.returncode}: {tail[:200]}"}
    return json.loads(lines[-1])


# ================================================================= timing ==

def builders_for(impls):
    b = dict(impls)
    if "torch" in impls:
        torch_build = impls["torch"]

        def torch_default(data, case):
            impl = torch_build(data, case)
            impl.context = lambda: fwmod.torch_threads(fwmod.DEFAULT_THREADS)
            return impl
        b["torch-default"] = torch_default
    return b


def run_cases(mod_cases, impls, live, data, cfg, store):
    for case in mod_cases:
        log(f"  {case['id']}: {case.get('title', '')}")
        t0 = time.perf_counter()
        cells = harness.measure(builders_for(impls), live, data, case, steps=case["steps"], repeats=cfg["repeats"],
                                warm_steps=cfg["warm_steps"], budget_s=cfg["budget_s"],
                                check_steps=cfg["check_steps"], log=log)
        store[case["id"]] = {"title": case.get("title", case["id"]), "unit": case.get("unit", "us/step"),
                             "x": case.get("x"), "sweep": case.get("sweep"),
                             "seconds": time.perf_counter() - t0,
                             "cells": {c.framework: c.stats() for c in cells}}


# ================================================================ profile ==

def profile_minigrad(case_id, data, quick):
    """cProfile of the minigrad step of one case: the top 10 functions by tottime, and tottime by file."""
    wid = case_id.split("-")[0]
    mod = workloads.get(wid)
    case = next(c for c in mod.cases(quick) if c["id"] == case_id)
    impl = mod.IMPLS["minigrad"](data, case)
    for i in range(5):
        impl.step(i)
    n = PROFILE_STEPS.get(case_id, 200) // (4 if quick else 1)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(5, 5 + n):
        impl.step(i)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    by_file = {}
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in st.stats.items():
        if "/minigrad/" in filename:
            key = "minigrad/" + filename.split("/minigrad/", 1)[1]
        elif filename == "~":                       # C functions: NumPy and builtins
            key = "C: " + func.strip("<>{}").replace("built-in method ", "").replace("method ", "")
        elif "/benchmarks/" in filename:
            key = "benchmark code (the workload's own lines)"
        else:
            key = os.path.basename(filename)
        by_file[key] = by_file.get(key, 0.0) + tt
    s = io.StringIO()
    st.stream = s
    st.strip_dirs().sort_stats("tottime").print_stats(10)
    lines = s.getvalue().splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    shares = sorted(by_file.items(), key=lambda kv: -kv[1])[:12]
    return {"steps": n, "total_s": total, "per_step_us": total / n * 1e6,
            "table": "\n".join(ln for ln in lines[start:] if ln.strip()),
            "by_file": [(k, v / n * 1e6, v / total) for k, v in shares]}


# =================================================================== main ==

def main(argv=None):
    args = parse(argv)
    if args.child:
        return child(args)
    if args.reprofile:
        return reprofile(args.reprofile)
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    t_start = time.perf_counter()
    started = datetime.datetime.now().astimezone()
    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    names = [n.strip() for n in args.frameworks.split(",")] if args.frameworks else list(fwmod.ORDER)
    left_out = {}
    if args.quick and not args.frameworks:
        left_out = {n: "left out of --quick (seconds of first-call or per-step cost)" for n in names
                    if n in QUICK_EXCLUDE}
        names = [n for n in names if n not in QUICK_EXCLUDE]
    unknown = [n for n in names if n not in fwmod.MODULE]
    if unknown:
        raise SystemExit(f"unknown frameworks {unknown}; choose from {fwmod.ORDER}")
    if args.repeats < 5:
        log(f"note: --repeats {args.repeats} is below the 5 the method asks for")
    quick = args.quick
    if args.out is None:
        args.out = os.path.join(ROOT, "benchmarks", "results", *(["quick"] if quick else []))
    cfg = dict(repeats=args.repeats, warm_steps=5 if quick else 30, budget_s=0.12 if quick else 4.0,
               check_steps=2 if quick else 3)
    w5cfg = dict(cfg, budget_s=0.08 if quick else 0.4, warm_steps=3 if quick else 10)

    log(f"minigrad benchmarks ({'quick' if quick else 'full'}): workloads {','.join(only)}")
    t0 = time.perf_counter()
    fws = fwmod.load_all(names)
    import_s = time.perf_counter() - t0
    limiter = harness.limit_loaded_pools()
    for n, f in fws.items():
        log(f"  {n:14s} {f.version:14s} {f.status}{'  [' + '; '.join(f.shims) + ']' if f.shims else ''}")
    live = [n for n in names if fws[n].ok]
    threads = {"env_set_by_harness": harness.THREAD_ENV, "env_before": THREAD_ENV_BEFORE,
               "threadpoolctl": harness.thread_report(), "per_framework": fwmod.thread_settings(fws)}
    if "torch-default" in live:
        with fwmod.torch_threads(fwmod.DEFAULT_THREADS):
            threads["threadpoolctl_during_torch_default"] = harness.thread_report()
    t0 = time.perf_counter()
    data = harness.make_data()
    log(f"  imports {import_s:.1f} s, data {time.perf_counter() - t0:.1f} s")

    results = {"meta": {"date": started.isoformat(timespec="seconds"), "mode": "quick" if quick else "full",
                        "argv": sys.argv[1:], "command": " ".join([os.path.relpath(sys.executable, ROOT),
                                                                   "benchmarks/run.py", *sys.argv[1:]]),
                        "machine": harness.machine(), "git": harness.git_state(ROOT), "threads": threads, "config": cfg, "w5_config": w5cfg,
                        "data": {"rows": int(len(data.x)), "density": harness.DENSITY, "images": int(len(data.img))},
                        "left_out": left_out},
               "frameworks": {n: {"label": fwmod.label(n), "version": f.version, "status": f.status,
                                  "shims": f.shims} for n, f in fws.items()},
               "order": names, "cases": {}, "w5": {}, "memory": {}, "chain_memory": {}, "profiles": {},
               "targets": []}

    for wid in ("W1", "W2", "W3", "W4", "W6"):
        if wid not in only:
            continue
        mod = workloads.get(wid)
        log(f"{wid}")
        run_cases(mod.cases(quick), mod.IMPLS, live, data, cfg, results["cases"])

    if "W5" in only:
        from benchmarks.workloads import w2_mlp, w5_scaling
        log("W5 sweeps (the W2 step)")
        sweep_live = [n for n in (w5_scaling.QUICK_SWEEP_FRAMEWORKS if quick else w5_scaling.SWEEP_FRAMEWORKS)
                      if n in live]
        run_cases(w5_scaling.sweep_cases(quick), w2_mlp.IMPLS, sweep_live, data, w5cfg, results["w5"])
        log("W5 chain backward")
        chain_live = [n for n in (w5_scaling.QUICK_CHAIN_FRAMEWORKS if quick else w5_scaling.CHAIN_FRAMEWORKS)
                      if n in live]
        chain_impls = {fw: w5_scaling.chain_builder(fw) for fw in chain_live}
        chain_cfg = dict(w5cfg, budget_s=0.0, warm_steps=1, check_steps=1)
        run_cases(w5_scaling.chain_cases(quick), chain_impls, chain_live, data, chain_cfg, results["w5"])
        log("W5 chain memory (a subprocess per framework and length)")
        for case in w5_scaling.chain_cases(quick)[-1:] if quick else w5_scaling.chain_cases(quick):
            for fw in chain_live:
                if fw not in chain_live:
                    continue
                r = run_child("mem-chain", fw, n=case["n"])
                results["chain_memory"].setdefault(str(case["n"]), {})[fw] = r
                log(f"    n={case['n']:6d} {fw:10s} " + (f"{r['peak_growth_mb']:.1f} MiB peak growth, "
                                                       f"{r['bytes_per_op']:.0f} B/op" if "error" not in r
                                                       else r["error"]))

    if "MEM" in only:
        steps, every = (1000, 100) if quick else (10_000, 1_000)
        mem_fws = ["minigrad", "torch"] if quick else [n for n in live if n not in MEMORY_EXCLUDE]
        log(f"MEM: W2 batch 64, {steps} steps, a subprocess per framework")
        for fw in mem_fws:
            if fw not in live:
                continue
            r = run_child("mem-w2", fw, steps=steps, sample_every=every)
            results["memory"][fw] = r
            if "error" in r:
                log(f"    {fw:14s} {r['error']}")
            else:
                log(f"    {fw:14s} setup {r['rss_after_setup_mb']:.0f} MiB, epoch peak +{r['epoch_peak_growth_mb']:.1f} "
                    f"MiB, slope {r['slope_kib_per_1000_steps']:.1f} KiB/1000 steps ({r['seconds']:.1f} s)")
        for fw, why in MEMORY_EXCLUDE.items():
            if fw in live and fw not in mem_fws and not quick:
                results["memory"][fw] = {"skipped": why}

    results["targets"] = evaluate_targets(results)
    missed = [t for t in results["targets"] if t["met"] is False]
    if missed and not args.no_profile and "minigrad" in live:
        log("profiling minigrad for missed targets")
        for case_id in dict.fromkeys(t["case"] for t in missed):
            if case_id in MAIN_CASES:
                try:
                    results["profiles"][case_id] = profile_minigrad(case_id, data, quick)
                except Exception as e:          # noqa: BLE001
                    results["profiles"][case_id] = {"error": f"{type(e).__name__}: {e}"}

    results["meta"]["machine"]["loadavg_end"] = list(os.getloadavg())
    results["meta"]["wall_s"] = time.perf_counter() - t_start
    del limiter
    from benchmarks import report
    paths = report.write(results, args.out)
    log(f"done in {results['meta']['wall_s']:.0f} s: " + ", ".join(os.path.relpath(p, ROOT) for p in paths))
    for t in results["targets"]:
        log(f"  {'MET ' if t['met'] else 'MISS' if t['met'] is False else 'n/a '} {t['name']}: {t['detail']}")
    return 0


def reprofile(path):
    """Re-run the minigrad profiles of a finished run (e.g. after changing minigrad) and re-render its report."""
    with open(path) as f:
        results = json.load(f)
    fws = fwmod.load_all(["minigrad", "numpy"])
    harness.limit_loaded_pools()
    data = harness.make_data()
    quick = results["meta"]["mode"] == "quick"
    results["profiles"] = {}
    for case_id in dict.fromkeys(t["case"] for t in results["targets"] if t["met"] is False):
        if case_id in MAIN_CASES and fws["minigrad"].ok:
            log(f"profiling minigrad {case_id}")
            results["profiles"][case_id] = profile_minigrad(case_id, data, quick)
    results["meta"]["profiles_redone"] = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                                          "git": harness.git_state(ROOT)}
    from benchmarks import report
    log("\n".join(report.write(results, os.path.dirname(os.path.abspath(path)))))
    return 0


def _median(results, case, fw):
    c = results["cases"].get(case, {}).get("cells", {}).get(fw)
    return c.get("median_s") if c else None


def torch_best(results, case):
    vals = [v for v in (_median(results, case, "torch"), _median(results, case, "torch-default")) if v]
    return min(vals) if vals else None


def evaluate_targets(results):
    out = []
    for case, limit in TARGETS:
        m, t = _median(results, case, "minigrad"), torch_best(results, case)
        if m is None or t is None:
            out.append(dict(name=f"{case} minigrad/torch <= {limit}", case=case, met=None, value=None,
                            detail="not measured"))
            continue
        r = m / t
        out.append(dict(name=f"{case} minigrad/torch <= {limit}", case=case, met=r <= limit, value=r,
                        detail=f"{r:.3f} (minigrad {m * 1e6:.1f} us, torch best {t * 1e6:.1f} us)"))
    for case in MAIN_CASES:
        m = _median(results, case, "minigrad")
        if m is None:
            continue
        peers = {p: _median(results, case, p) for p in fwmod.NUMPY_PEERS}
        peers = {p: v for p, v in peers.items() if v}
        if not peers:
            continue
        slower_than = [f"{p} ({m / v:.2f}x)" for p, v in peers.items() if v < m]
        fastest = min(peers.items(), key=lambda kv: kv[1])
        out.append(dict(name=f"{case} faster than every NumPy-based peer", case=case, met=not slower_than,
                        value=m / fastest[1],
                        detail=(f"slower than {', '.join(slower_than)}" if slower_than else
                                f"fastest peer {fastest[0]}: minigrad at {m / fastest[1]:.2f}x its time")))
    for case, limit in FLOOR_TARGETS:
        m, f = _median(results, case, "minigrad"), _median(results, case, "numpy")
        if m is None or f is None:
            continue
        r = m / f
        out.append(dict(name=f"{case} minigrad/NumPy floor <= {limit}", case=case, met=r <= limit, value=r,
                        detail=f"{r:.3f} (minigrad {m * 1e6:.1f} us, floor {f * 1e6:.1f} us)"))
    return out


if __name__ == "__main__":
    sys.exit(main())

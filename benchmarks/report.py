"""Write results.json, results.md, profiles.md and the PNG charts from one run's results dict."""
from __future__ import annotations

import json
import math
import os

from . import frameworks as fwmod

MAIN_CASES = ["W1", "W2-b64", "W2-b1", "W3", "W4-1", "W4-64"]
SHORT = {"W1": "W1 logreg b64", "W2-b64": "W2 MLP b64", "W2-b1": "W2 MLP b1", "W3": "W3 LeNet b64",
         "W4-1": "W4 1-elem", "W4-64": "W4 64x64"}


# ================================================================= helpers ==

def _fmt_time(s):
    if s is None:
        return "-"
    us = s * 1e6
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e4:
        return f"{us / 1e3:.1f} ms"
    if us >= 100:
        return f"{us:.0f} µs"
    return f"{us:.1f} µs"


def _torch_best(case):
    cells = case["cells"]
    vals = [(cells[k]["median_s"], k) for k in ("torch", "torch-default") if k in cells and "median_s" in cells[k]]
    return min(vals) if vals else (None, None)


def _ratio(case, fw):
    ref, _ = _torch_best(case)
    c = case["cells"].get(fw)
    if ref is None or c is None or "median_s" not in c:
        return None
    return c["median_s"] / ref


def _status_text(results, case, fw):
    f = results["frameworks"].get(fw, {})
    if f.get("status", "ok") != "ok":
        return "not installed"
    c = case["cells"].get(fw) if case else None
    if c is None:
        return "-"
    if c.get("status", "ok") != "ok":
        s = c["status"]
        return "n/a" if s.startswith("n/a") else "error"
    return None


def _marks(c, sweep=False):
    m = ""
    note = c.get("note", "") or ""
    if "scaled" in note or ("extrapolated" in note and not sweep):
        m += "†"
    if "differ" in note:
        m += "!"
    return m


# ================================================================ markdown ==

def markdown(results) -> str:
    meta, fws, order = results["meta"], results["frameworks"], results["order"]
    cases = results["cases"]
    mach = meta["machine"]
    L = []
    L.append("# minigrad benchmark results")
    L.append("")
    L.append(f"- **date**: {meta['date']}  ·  **mode**: {meta['mode']}  ·  **wall time**: {meta['wall_s']:.0f} s")
    L.append(f"- **command**: `{meta['command']}`")
    if meta.get("git"):
        g = meta["git"]
        L.append(f"- **minigrad**: commit {g['commit']}" + (f" with {g['minigrad_files_changed']} uncommitted file(s) "
                                                          "under minigrad/" if g["minigrad_files_changed"] else ""))
    L.append(f"- **machine**: {mach['cpu']}; {mach['logical_cpus']} logical CPUs ({mach['usable_cpus']} usable), "
             f"{mach['memory_gib']} GiB; {mach['platform']}; Python {mach['python']}")
    la0, la1 = mach.get("loadavg_start"), mach.get("loadavg_end")
    if la0 and la1:
        L.append(f"- **load average** (1/5/15 min) at start {'/'.join(f'{v:.2f}' for v in la0)}, at end "
                 f"{'/'.join(f'{v:.2f}' for v in la1)} — other processes shared the machine; frameworks were "
                 "interleaved so that noise hits all of them alike, but absolute times carry it.")
    cfg = meta["config"]
    L.append(f"- **method**: {cfg['repeats']} timed repeats per cell, round-robin across frameworks (order rotated "
             f"each repeat), after {cfg['check_steps']} checked first steps and a warm-up block; median and min–max "
             f"of per-step times; at most {cfg['budget_s']} s per block (cells marked † time fewer steps per "
             "repeat and extrapolate).")
    d = meta["data"]
    L.append(f"- **data**: synthetic MNIST-shaped float32, {d['rows']:,} rows × 784 (and {d['images']} images "
             f"1×32×32), uniform [0, 1) on {d['density']:.0%} of the pixels (MNIST's density), labels from a fixed "
             "random linear teacher; the same arrays and the same initial weights for every framework.")
    L.append("")

    # ---- headline ratio table
    shown = [c for c in MAIN_CASES if c in cases]
    if shown:
        L.append("## Time relative to torch (median; torch = the faster of its 1-thread and default-thread runs)")
        L.append("")
        L.append("Lower is faster; `0.50` means half of torch's time.  † extrapolated (see notes), "
                 "! losses disagree with the NumPy floor.")
        L.append("")
        L += _framework_table(results, cases, shown, order, _ratio_cell, bold_minigrad=True)
        L.append("")
        L.append("![ratio to torch, all workloads](ratio_overview.png)")
        L.append("")

        # ---- absolute table
        L.append("## Absolute times (median per step, [min–max] over the repeats)")
        L.append("")
        L += _framework_table(results, cases, shown, order, _time_cell)
        L.append("")
        for cid in shown:
            L.append(f"- **{cid}**: {cases[cid]['title']} — ![{cid}](ratio_{cid}.png)")
        L.append("")

    # ---- targets
    if results["targets"]:
        L.append("## Targets (minigrad)")
        L.append("")
        L.append("| target | result | |")
        L.append("|---|---|---|")
        for t in results["targets"]:
            mark = "met" if t["met"] else ("**missed**" if t["met"] is False else "n/a")
            L.append(f"| {t['name']} | {t['detail']} | {mark} |")
        L.append("")
        if results.get("profiles"):
            L.append("Where the time goes in minigrad for each missed target: [profiles.md](profiles.md).")
            L.append("")

    # ---- warm-up
    warm_rows = []
    for cid in shown:
        for fw in ("jax-jit", "tinygrad", "jax"):
            c = cases[cid]["cells"].get(fw)
            if c and c.get("first_calls_s") and "median_s" in c:
                fc = c["first_calls_s"]
                warm_rows.append(f"| {cid} | {fwmod.label(fw)} | {fc[0]:.2f} s | "
                                 f"{' / '.join(f'{v * 1e3:.1f} ms' for v in fc[1:])} | {_fmt_time(c['median_s'])} |")
    if warm_rows:
        L.append("## Warm-up (JIT compile and capture), reported apart from the steady state")
        L.append("")
        L.append("| case | framework | first call | next calls | steady median |")
        L.append("|---|---|---:|---:|---:|")
        L += warm_rows
        L.append("")
        L.append("TinyJit traces on the first call and captures on the second; jax.jit compiles on the first.")
        L.append("")

    # ---- W5
    w5 = results.get("w5") or {}
    if w5:
        L.append("## W5 scaling")
        L.append("")
        wc = meta.get("w5_config") or {}
        L.append(f"Each point: {wc.get('repeats', cfg['repeats'])} interleaved repeats of a block of steps fitted to "
                 f"about {wc.get('budget_s', '?')} s (the chain: one backward() per repeat, its graph built untimed "
                 "before each); median, with the min–max as the shaded band in the plots.")
        L.append("")
        for kind, title, png in (("batch", "W2 step time against batch size (hidden 200)", "w5_batch.png"),
                                 ("width", "W2 step time against hidden width (batch 64)", "w5_width.png"),
                                 ("chain", "backward() of a chain of n ops on a 64-element vector", "w5_chain.png")):
            pts = sorted((v for v in w5.values() if v.get("sweep") == kind), key=lambda v: v["x"])
            if not pts:
                continue
            fwl = [fw for fw in order if any(fw in p["cells"] and "median_s" in p["cells"][fw] for p in pts)]
            L.append(f"### {title}")
            L.append("")
            L.append(f"![{kind}]({png})")
            L.append("")
            xlabel = {"batch": "batch", "width": "hidden", "chain": "ops"}[kind]
            L.append(f"| {xlabel} | " + " | ".join(fwmod.label(f) for f in fwl) + " |")
            L.append("|---:|" + "---:|" * len(fwl))
            for p in pts:
                row = []
                for fw in fwl:
                    c = p["cells"].get(fw, {})
                    row.append(_fmt_time(c.get("median_s")) + _marks(c, sweep=True) if "median_s" in c else "-")
                L.append(f"| {p['x']:,} | " + " | ".join(row) + " |")
            L.append("")
        cm = results.get("chain_memory") or {}
        if cm:
            L.append("Peak memory of the chain's graph (growth of peak RSS over the RSS before building it, fresh "
                     "process per cell):")
            L.append("")
            fwl = [fw for fw in order if any(fw in v for v in cm.values())]
            L.append("| ops | " + " | ".join(fwmod.label(f) for f in fwl) + " |")
            L.append("|---:|" + "---:|" * len(fwl))
            for n in sorted(cm, key=int):
                row = []
                for fw in fwl:
                    r = cm[n].get(fw)
                    if r is None:
                        row.append("-")
                    elif "error" in r:
                        row.append("error")
                    else:
                        row.append(f"{r['peak_growth_mb']:.1f} MiB ({r['bytes_per_op']:.0f} B/op)")
                L.append(f"| {int(n):,} | " + " | ".join(row) + " |")
            L.append("")

    # ---- memory
    mem = results.get("memory") or {}
    if mem:
        L.append("## Memory: W2 (batch 64) in a fresh process per framework")
        L.append("")
        L.append("Epoch peak = the kernel's RSS high-water mark (`VmHWM`) over the first epoch (781 steps), reset "
                 "after setup; growth is over the RSS after setup (data, model, one step).  Slope: least-squares "
                 "line through the RSS samples; flat means |slope| < 64 KiB per 1,000 steps.")
        L.append("")
        L.append("| framework | RSS after setup | epoch peak | peak − setup | RSS first → last sample | slope (KiB/1000 steps) | flat |")
        L.append("|---|---:|---:|---:|---:|---:|---|")
        for fw in order:
            r = mem.get(fw)
            if r is None:
                continue
            if "skipped" in r:
                L.append(f"| {fwmod.label(fw)} | skipped: {r['skipped']} | | | | | |")
                continue
            if "error" in r:
                L.append(f"| {fwmod.label(fw)} | {r['error']} | | | | | |")
                continue
            s = r["samples"]
            slope = r["slope_kib_per_1000_steps"]
            flat = "yes" if slope is not None and abs(slope) < 64 else "**no**"
            if r["steps"] < 5000:
                flat = f"({r['steps']:,} steps: too short to judge)"
            L.append(f"| {fwmod.label(fw)} | {r['rss_after_setup_mb']:.0f} MiB | {r['epoch_peak_mb']:.0f} MiB | "
                     f"{r['epoch_peak_growth_mb']:+.1f} MiB | {s[1][1]:.1f} → {s[-1][1]:.1f} MiB "
                     f"({s[1][0]:,}–{s[-1][0]:,} steps) | {slope:+.1f} | {flat} |")
        L.append("")
        L.append("![RSS across the W2 steps](memory_rss.png)")
        L.append("")

    # ---- frameworks and threads
    L.append("## Frameworks")
    L.append("")
    L.append("| framework | version | status | compatibility shims / notes |")
    L.append("|---|---|---|---|")
    for fw in order:
        f = fws[fw]
        L.append(f"| {fwmod.label(fw)} | {f['version'] or '-'} | {f['status']} | {'; '.join(f['shims']) or ''} |")
    for fw, why in (meta.get("left_out") or {}).items():
        L.append(f"| {fwmod.label(fw)} | | {why} | |")
    L.append("")
    th = meta["threads"]
    L.append("## Threads and BLAS")
    L.append("")
    L.append("Set before any import: " + ", ".join(f"`{k}={v}`" for k, v in th["env_set_by_harness"].items()
                                                 if k != "TF_CPP_MIN_LOG_LEVEL") + ".")
    L.append("")
    for k, v in th["per_framework"].items():
        L.append(f"- {k}: {v}")
    L.append("")
    L.append("threadpoolctl `threadpool_info()` during timing:")
    L.append("")
    L.append("| library | API | version | threads | threading layer / arch |")
    L.append("|---|---|---|---:|---|")
    for t in th["threadpoolctl"]:
        L.append(f"| {t.get('library')} | {t.get('internal_api')} | {t.get('version') or ''} | {t.get('num_threads')} | "
                 f"{t.get('threading_layer') or ''} {t.get('architecture') or ''} |")
    if "threadpoolctl_during_torch_default" in th:
        during = ", ".join(f"{t.get('library')}: {t.get('num_threads')}" for t in th["threadpoolctl_during_torch_default"])
        L.append("")
        L.append(f"While torch-default runs: {during}.  Caveat: torch-default is emulated in the same process by "
                 f"`torch.set_num_threads({fwmod.DEFAULT_THREADS})` around its blocks (torch's own default would be "
                 "the physical-core count read at start-up); its inter-op pool and NumPy's BLAS stay at one thread, "
                 "and on a shared machine the second thread competes with other processes.")
    L.append("")

    # ---- notes per cell
    notes = []
    for cid, case in list(cases.items()) + list((results.get("w5") or {}).items()):
        for fw, c in case["cells"].items():
            if case.get("sweep") and c.get("status", "ok") == "ok":
                continue              # W5: steps per repeat are fitted to the time budget by design
            if c.get("note") or (c.get("status", "ok") != "ok" and results["frameworks"].get(fw, {}).get("status") == "ok"):
                text = c.get("note") or ""
                if c.get("status", "ok") != "ok":
                    text = c["status"] + (f"; {text}" if text else "")
                notes.append(f"- {cid} / {fwmod.label(fw)}: {text}")
    if notes:
        L.append("## Notes per cell")
        L.append("")
        L += notes
        L.append("")
    checks = []
    for cid in shown:
        worst = max(((c.get("check_rel_diff") or 0.0, fw) for fw, c in cases[cid]["cells"].items()
                     if c.get("check_rel_diff") is not None), default=None)
        if worst:
            checks.append(f"{cid} {worst[0]:.1e} ({fwmod.label(worst[1])})")
    if checks:
        L.append("Same math: the first steps' losses of every framework were compared with the NumPy floor's; "
                 "largest relative difference per workload: " + "; ".join(checks) + ".")
        L.append("")
    return "\n".join(L)


def profiles_md(results) -> str:
    profs = results.get("profiles") or {}
    missed = [t for t in results["targets"] if t["met"] is False]
    redone = results["meta"].get("profiles_redone")
    when = (f"Profiled {redone['date']} (minigrad at commit {redone['git']['commit']}, "
            f"{redone['git']['minigrad_files_changed']} uncommitted file(s)) for the targets missed in the run of "
            if redone else "Run of ")
    L = ["# Where minigrad's time goes, for each missed target", "",
         f"{when}{results['meta']['date']} ({results['meta']['mode']}).  cProfile of the minigrad step alone "
         "(same code as the benchmark), top 10 functions by tottime.  cProfile adds a per-call cost, so "
         "Python-heavy functions look heavier than in the timing; read it for ranking, not absolute numbers.", ""]
    for cid, p in profs.items():
        names = [t["name"] for t in missed if t["case"] == cid]
        L.append(f"## {cid}: {results['cases'].get(cid, {}).get('title', cid)}")
        L.append("")
        L.append("Missed: " + "; ".join(f"{n} ({next(t['detail'] for t in missed if t['name'] == n)})" for n in names))
        L.append("")
        if "error" in p:
            L.append(f"profiling failed: {p['error']}")
            L.append("")
            continue
        L.append(f"{p['steps']} steps, {p['per_step_us']:.0f} µs per step under the profiler.")
        L.append("")
        if p.get("by_file"):
            L.append("Self time (tottime) by file, per step:")
            L.append("")
            L.append("| where | µs/step | share |")
            L.append("|---|---:|---:|")
            for k, us, share in p["by_file"]:
                L.append(f"| {k} | {us:.1f} | {share:.0%} |")
            L.append("")
        L.append("Top 10 functions by tottime:")
        L.append("")
        L.append("```")
        L.append(p["table"])
        L.append("```")
        L.append("")
    return "\n".join(L)


# ================================================================== charts ==

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


COLORS = {"minigrad": "#d62728", "torch": "#1f77b4", "torch-default": "#6baed6", "numpy": "#2ca02c",
          "autograd": "#9467bd", "mygrad": "#8c564b", "dezero": "#e377c2", "chainer": "#7f7f7f",
          "micrograd": "#bcbd22", "tinygrad": "#17becf", "jax": "#ff7f0e", "jax-jit": "#ffbb78"}


def _subtitle(results):
    m = results["meta"]
    return f"{m['date'][:10]} · {m['machine']['cpu']} · {m['mode']} run"


def chart_case(results, cid, path):
    plt = _plt()
    case = results["cases"][cid]
    ref, ref_fw = _torch_best(case)
    rows = []
    for fw in results["order"]:
        c = case["cells"].get(fw)
        if c and "median_s" in c and ref:
            rows.append((fw, c["median_s"] / ref, c["min_s"] / ref, c["max_s"] / ref, _marks(c)))
    if not rows:
        return None
    rows.sort(key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(rows) + 1.6))
    y = list(range(len(rows)))
    ax.barh(y, [r[1] for r in rows], color=[COLORS.get(r[0], "#999") for r in rows], alpha=0.9)
    ax.errorbar([r[1] for r in rows], y, xerr=[[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]],
                fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels([fwmod.label(r[0]) + r[4] for r in rows])
    for lab, r in zip(ax.get_yticklabels(), rows):
        if r[0] == "minigrad":
            lab.set_fontweight("bold")
    lo = min(r[2] for r in rows)
    hi = max(r[3] for r in rows)
    ax.set_xlim(lo / 1.6, hi * 3.5)
    for yi, r in zip(y, rows):
        v = r[1]
        txt = f"{v:.2f}×" if v < 10 else f"{v:.1f}×" if v < 100 else f"{v:,.0f}×"
        ax.text(r[3] * 1.08, yi, txt, va="center", fontsize=9)
    ax.set_xlabel(f"time relative to {fwmod.label(ref_fw)} = {_fmt_time(ref)} per step (log scale; bars: median, "
                  "whiskers: min–max)", fontsize=8.5)
    ax.set_title(f"{case['title']}\n{_subtitle(results)}", fontsize=9.5)
    ax.grid(axis="x", which="both", alpha=0.25)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_overview(results, path):
    plt = _plt()
    import numpy as np
    shown = [c for c in MAIN_CASES if c in results["cases"]]
    fws = [fw for fw in results["order"] if any(_ratio(results["cases"][c], fw) for c in shown)]
    if not shown or not fws:
        return None
    M = np.full((len(fws), len(shown)), np.nan)
    for i, fw in enumerate(fws):
        for j, cid in enumerate(shown):
            r = _ratio(results["cases"][cid], fw)
            if r:
                M[i, j] = r
    fig, ax = plt.subplots(figsize=(1.35 * len(shown) + 3.2, 0.45 * len(fws) + 1.8))
    lim = max(1.0, np.nanmax(np.abs(np.log10(M))))
    lim = min(lim, 3.0)
    im = ax.imshow(np.log10(M), cmap="RdYlGn_r", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(len(fws)):
        for j in range(len(shown)):
            v = M[i, j]
            txt = "–" if np.isnan(v) else (f"{v:.2f}" if v < 10 else f"{v:.0f}" if v < 1e4 else f"{v:.0e}")
            ax.text(j, i, txt, ha="center", va="center", fontsize=9,
                    fontweight="bold" if fws[i] == "minigrad" else "normal")
    ax.set_xticks(range(len(shown)))
    ax.set_xticklabels([SHORT[c] for c in shown], rotation=20, ha="right", fontsize=9)
    ax.set_yticks(range(len(fws)))
    ax.set_yticklabels([fwmod.label(f) for f in fws], fontsize=9)
    for lab, fw in zip(ax.get_yticklabels(), fws):
        if fw == "minigrad":
            lab.set_fontweight("bold")
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    ticks = [t for t in (-3, -2, -1, 0, 1, 2, 3) if abs(t) <= lim]
    cb.set_ticks(ticks)
    cb.set_ticklabels([f"{10.0 ** t:g}×" for t in ticks])
    ax.set_title(f"Median time relative to torch (faster thread setting); log colour scale, green = faster\n"
                 f"{_subtitle(results)}", fontsize=9.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_w5(results, kind, path):
    plt = _plt()
    w5 = results.get("w5") or {}
    pts = sorted((v for v in w5.values() if v.get("sweep") == kind), key=lambda v: v["x"])
    if not pts:
        return None
    fws = [fw for fw in results["order"] if any(fw in p["cells"] and "median_s" in p["cells"][fw] for p in pts)]
    if kind == "chain":
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    else:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    ax = axes[0]
    for fw in fws:
        xs = [p["x"] for p in pts if "median_s" in p["cells"].get(fw, {})]
        ys = [p["cells"][fw]["median_s"] * 1e6 for p in pts if "median_s" in p["cells"].get(fw, {})]
        lo = [p["cells"][fw]["min_s"] * 1e6 for p in pts if "median_s" in p["cells"].get(fw, {})]
        hi = [p["cells"][fw]["max_s"] * 1e6 for p in pts if "median_s" in p["cells"].get(fw, {})]
        ax.plot(xs, ys, "o-", color=COLORS.get(fw), label=fwmod.label(fw), lw=2.2 if fw == "minigrad" else 1.4)
        ax.fill_between(xs, lo, hi, color=COLORS.get(fw), alpha=0.15)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8)
    xlabel = {"batch": "batch size (hidden 200)", "width": "hidden width (batch 64)",
              "chain": "ops in the chain"}[kind]
    ax.set_xlabel(xlabel)
    ax.set_ylabel("µs per backward()" if kind == "chain" else "µs per training step")
    ax.set_title({"batch": "W2 step time vs batch size", "width": "W2 step time vs hidden width",
                  "chain": "backward() time of a chain of n ops"}[kind], fontsize=10)
    ax2 = axes[1]
    if kind == "chain":
        cm = results.get("chain_memory") or {}
        for fw in results["order"]:
            xs, ys = [], []
            for n in sorted(cm, key=int):
                r = cm[n].get(fw)
                if r and "error" not in r:
                    xs.append(int(n))
                    ys.append(max(r["peak_growth_mb"], 0.01))
            if xs:
                ax2.plot(xs, ys, "o-", color=COLORS.get(fw), label=fwmod.label(fw), lw=2.2 if fw == "minigrad" else 1.4)
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlabel("ops in the chain")
        ax2.set_ylabel("peak RSS growth (MiB)")
        ax2.set_title("memory held by the graph (fresh process each)", fontsize=10)
        if ax2.lines:
            ax2.legend(fontsize=8)
    else:
        ref = {p["x"]: _torch_best(p)[0] for p in pts}
        for fw in fws:
            xs = [p["x"] for p in pts if "median_s" in p["cells"].get(fw, {}) and ref[p["x"]]]
            ys = [p["cells"][fw]["median_s"] / ref[p["x"]] for p in pts
                  if "median_s" in p["cells"].get(fw, {}) and ref[p["x"]]]
            ax2.plot(xs, ys, "o-", color=COLORS.get(fw), label=fwmod.label(fw), lw=2.2 if fw == "minigrad" else 1.4)
        ax2.axhline(1.0, color="black", ls="--", lw=1)
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlabel(xlabel)
        ax2.set_ylabel("time relative to torch (faster thread setting)")
        ax2.set_title("ratio to torch: fixed overhead (left) gives way to BLAS time (right)", fontsize=10)
        ax2.legend(fontsize=8)
    for a in (ax, ax2):
        a.grid(True, which="both", alpha=0.25)
    fig.suptitle(_subtitle(results), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_memory(results, path):
    plt = _plt()
    mem = results.get("memory") or {}
    rows = [(fw, r) for fw in results["order"] for r in [mem.get(fw)] if r and "samples" in r]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for fw, r in rows:
        xs = [s for s, _ in r["samples"]]
        ys = [m - r["rss_after_setup_mb"] for _, m in r["samples"]]
        ax.plot(xs, ys, "o-", color=COLORS.get(fw), label=f"{fwmod.label(fw)} (setup {r['rss_after_setup_mb']:.0f} MiB)",
                lw=2.2 if fw == "minigrad" else 1.3, ms=3)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("W2 training steps (batch 64)")
    ax.set_ylabel("RSS − RSS after setup (MiB)")
    ax.set_title(f"RSS across W2 training steps (must be flat)\n{_subtitle(results)}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# =================================================================== write ==

def write(results, outdir):
    os.makedirs(outdir, exist_ok=True)
    paths = []
    pj = os.path.join(outdir, "results.json")
    _replace(pj, json.dumps(_clean(results), indent=1, default=_json_default, allow_nan=False))
    paths.append(pj)
    try:
        for cid in MAIN_CASES:
            if cid in results["cases"]:
                p = chart_case(results, cid, os.path.join(outdir, f"ratio_{cid}.png"))
                if p:
                    paths.append(p)
        for p in (chart_overview(results, os.path.join(outdir, "ratio_overview.png")),
                  chart_w5(results, "batch", os.path.join(outdir, "w5_batch.png")),
                  chart_w5(results, "width", os.path.join(outdir, "w5_width.png")),
                  chart_w5(results, "chain", os.path.join(outdir, "w5_chain.png")),
                  chart_memory(results, os.path.join(outdir, "memory_rss.png"))):
            if p:
                paths.append(p)
    except ImportError as e:
        print(f"no charts: {e}")
    pm = os.path.join(outdir, "results.md")
    _replace(pm, markdown(results) + "\n")
    paths.append(pm)
    if results.get("profiles"):
        pp = os.path.join(outdir, "profiles.md")
        _replace(pp, profiles_md(results) + "\n")
        paths.append(pp)
    return paths


def _replace(path, text):
    """Write ``text`` to ``path`` whole or not at all: the text is built before the file is touched, and a
    temporary file replaces it (a re-render that fails must not wipe the results it was reading)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _clean(o):
    """Strict JSON: NaN/inf become null, NumPy scalars plain numbers, tuples lists."""
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, float) or type(o).__module__ == "numpy":
        try:
            v = float(o)
        except (TypeError, ValueError):
            return o
        return v if math.isfinite(v) else None
    return o


def _json_default(o):
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


def _framework_table(results, cases, shown, order, cell, bold_minigrad=False):
    """Rows = frameworks, columns = workloads; a cell is its status text (skipped, failed...) or ``cell(case, fw)``."""
    lines = ["| framework | " + " | ".join(SHORT[c] for c in shown) + " |", "|---|" + "---:|" * len(shown)]
    for fw in order:
        row = [_status_text(results, cases[cid], fw) or cell(cases[cid], fw) for cid in shown]
        name = f"**{fwmod.label(fw)}**" if bold_minigrad and fw == "minigrad" else fwmod.label(fw)
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return lines


def _ratio_cell(case, fw):
    r = _ratio(case, fw)
    return "-" if r is None else (f"{r:.2f}" if r < 100 else f"{r:,.0f}") + _marks(case["cells"][fw])


def _time_cell(case, fw):
    c = case["cells"][fw]
    if "median_s" not in c:
        return "-"
    return f"{_fmt_time(c['median_s'])}{_marks(c)} [{_fmt_time(c['min_s'])}–{_fmt_time(c['max_s'])}]"


if __name__ == "__main__":   # re-render from a results.json: python -m benchmarks.report [results.json]
    import sys
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results", "results.json")
    with open(src) as f:
        res = json.load(f)
    print("\n".join(write(res, os.path.dirname(os.path.abspath(src)))))


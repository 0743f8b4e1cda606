"""GIL convoy / responsiveness probe: how late does a sleeping thread wake up?

One "probe" thread calls ``time.sleep(0.001)`` SAMPLES (default 300) times and records, for
each call, ``(perf_counter after - perf_counter before) - 1 ms`` = how late the wake-up was
(it must re-acquire the GIL before it can read the clock). Meanwhile K = 0, 1, 2 competitors
spin in a pure-Python CPU loop (``while not stop: x += 1``):

  --mode threads    competitors are threads of the same process (they hold the GIL);
  --mode processes  competitors are separate processes (multiprocessing, 'fork'), so the
                    probe only competes for CPU time, not for the GIL. On a 2-core machine this
                    separates "the GIL made me wait" from "the cores were busy".

One child measures all K for one (version, switch interval, mode); the lateness samples are
a distribution measured within that run. The driver repeats children round-robin over
versions and writes bench/results/cpython/latency.json.

Run (driver):

    python3 bench/python/latency.py [--versions 3.9,3.12,3.13] [--intervals 0.005,0.001]
                                    [--ks 0,1,2] [--reps 3] [--samples 300]

One child in the current interpreter:

    python bench/python/latency.py --child --mode threads --interval 0.005 --ks 0,1,2

Works on CPython 3.9-3.13 (2.7 lacks perf_counter/get_context; not supported here).
"""
from __future__ import division, print_function

import multiprocessing
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

SLEEP = 0.001


def spin_thread(state, slot):
    x = 0
    while not state["stop"]:
        x += 1
    state["counts"][slot] = x


def spin_process(ready):
    ready.set()
    x = 0
    while True:  # terminated by the parent
        x += 1


def probe(samples, out):
    clock = C.clock
    sleep = time.sleep
    for _ in range(samples):
        t0 = clock()
        sleep(SLEEP)
        out.append(clock() - t0 - SLEEP)


def one_k(k, mode, samples, warmup):
    state = {"stop": False, "counts": [0] * k}
    spinners = []
    if mode == "threads":
        spinners = [threading.Thread(target=spin_thread, args=(state, i)) for i in range(k)]
        for s in spinners:
            s.start()
    else:
        ctx = multiprocessing.get_context("fork")
        for _ in range(k):
            ready = ctx.Event()
            proc = ctx.Process(target=spin_process, args=(ready,))
            proc.daemon = True
            proc.start()
            ready.wait(10)
            spinners.append(proc)
    time.sleep(warmup)  # let the spinners get going (and, for threads, take the GIL)
    late = []
    t = threading.Thread(target=probe, args=(samples, late))
    t0 = C.clock()
    t.start()
    t.join()
    probe_wall = C.clock() - t0
    state["stop"] = True
    for s in spinners:
        if mode == "threads":
            s.join()
        else:
            s.terminate()
            s.join()
    ms = [v * 1000.0 for v in late]
    return {
        "k": k,
        "probe_wall_s": probe_wall,
        "late_ms": C.rounded(ms, 4),
        "stats_ms": C.summary(ms),
        "p99_ms": C.percentile(ms, 99),
        "spinner_iterations": state["counts"] if mode == "threads" else None,
    }


def child(argv):
    p = C.child_parser()
    p.add_argument("--mode", choices=["threads", "processes"], default="threads")
    p.add_argument("--interval", default="0.005")
    p.add_argument("--ks", default="0,1,2")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--warmup", type=float, default=0.05)
    a = p.parse_args(argv)
    sys.setswitchinterval(float(a.interval))
    out = {"mode": a.mode, "interval": float(a.interval), "samples": a.samples, "per_k": []}
    for k in [int(x) for x in a.ks.split(",")]:
        out["per_k"].append(one_k(k, a.mode, a.samples, a.warmup))
    C.emit(out)


def driver(argv):
    p = C.driver_parser(__doc__, "3.9,3.12,3.13")
    p.add_argument("--intervals", default="0.005,0.001")
    p.add_argument("--modes", default="threads,processes")
    p.add_argument("--ks", default="0,1,2")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--samples", type=int, default=300)
    a = p.parse_args(argv)

    def children(rep, ver):
        return [C.ChildRun(["--mode", mode, "--interval", interval, "--ks", a.ks,
                            "--samples", a.samples], "%s interval=%s" % (mode, interval),
                           mode_requested=mode, interval_requested=interval)
                for mode in a.modes.split(",") for interval in a.intervals.split(",")]

    C.run_children(__file__, "latency", C.requested_versions(a), a.reps, children, summarise,
                   settings={"sleep_s": SLEEP, "samples": a.samples})


def summarise(runs):
    groups = {}
    for r in runs:
        for pk in r.get("per_k", []):
            key = (r["python"], r["mode"], r["interval"], pk["k"])
            groups.setdefault(key, []).append(pk)
    out = []
    for (ver, mode, interval, k), pks in sorted(groups.items()):
        pooled = []
        for pk in pks:
            pooled.extend(pk["late_ms"])
        out.append({
            "python": ver, "mode": mode, "interval": interval, "k": k,
            # per-run statistics, then their median and spread across runs
            "median_ms": C.summary([pk["stats_ms"]["median"] for pk in pks]),
            "p90_ms": C.summary([pk["stats_ms"]["p90"] for pk in pks]),
            "max_ms": C.summary([pk["stats_ms"]["max"] for pk in pks]),
            "mean_ms": C.summary([pk["stats_ms"]["mean"] for pk in pks]),
            "pooled_ms": C.summary(pooled),
            "pooled_p99_ms": C.percentile(pooled, 99),
        })
    return out


if __name__ == "__main__":
    C.main(child, driver)

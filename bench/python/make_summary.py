"""Builds bench/results/cpython/SUMMARY.md (markdown tables) from the JSON the other scripts wrote.

    python3 bench/python/make_summary.py

Reads statements.json, calibrate.json, latency.json, waiting.json, startup.json and seed.json
from bench/results/cpython/ (any that are missing are skipped). Everything below the line
``<!-- hand-written notes below are kept -->`` in an existing SUMMARY.md is preserved, so
observations written by hand survive a regeneration. Measures nothing itself.
"""
from __future__ import division, print_function

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

KEEP = "<!-- hand-written notes below are kept -->"


def vkey(v):
    return [int(x) for x in v.split(".")]


def load(name):
    path = os.path.join(C.RESULTS, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def f(x, digits=2):
    return "-" if x is None else ("%." + str(digits) + "f") % x


def med_range(s, digits=2):
    if not s or not s.get("n"):
        return "-"
    if s["n"] == 1:
        return f(s["median"], digits)
    return "%s [%s–%s]" % (f(s["median"], digits), f(s["min"], digits), f(s["max"], digits))


def load_cell(batches):
    """1-min load averages seen before/after the batches, and other people's busy cores."""
    l1 = []
    other = []
    for b in batches:
        for side in ("before", "after"):
            la = (b.get(side) or {}).get("loadavg")
            if la:
                l1.append(la[0])
        if b.get("other_busy_cpus") is not None:
            other.append(b["other_busy_cpus"])
    if not l1:
        return "-"
    cell = "%.2f–%.2f" % (min(l1), max(l1))
    if other:
        cell += " / %.1f" % C.percentile(other, 50)
    return cell


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def batches_for(data, **match):
    return [r["batch"] for r in data["runs"]
            if all(r.get(k) == v for k, v in match.items()) and "batch" in r]


def run_window(data):
    loads = []
    for r in data["runs"]:
        for side in ("before", "after"):
            la = r.get("batch", {}).get(side, {}).get("loadavg")
            if la:
                loads.append(la[0])
    return "%s; %d child runs; 1-min load %.2f–%.2f" % (
        data.get("started"), len(data["runs"]), min(loads), max(loads))


# ------------------------------------------------------------------------------------ sections

def sec_machine(any_data):
    m = any_data["machine"]
    return "\n".join([
        "Machine: `%s`, %s, `os.cpu_count()` = %s (affinity %s), %s." % (
            m["platform"], m["cpu_model"], m["os_cpu_count"], m["sched_affinity"],
            (m.get("mem_total") or "").replace("MemTotal:", "RAM").strip()),
        "",
        "Load column (\"load\"): 1-minute `uptime` load average read before and after each",
        "child run of that row (min–max), then ` / ` the median number of cores kept busy by",
        "*other* processes during those runs (from /proc/stat minus our own CPU time). Our own",
        "benchmark process counts about 1 towards the load average itself.",
    ])


def sec_statements(d):
    rows = []
    summ = sorted(d["summary"], key=lambda s: (vkey(s["python"]), s["interval"] != "0.005",
                                               ["plus_eq", "add_one", "locked"].index(s["statement"])))
    label = {"plus_eq": '`c["value"] += 1`', "add_one": '`c["value"] = add_one(c["value"])`',
             "locked": '`with lock: c["value"] += 1`'}
    for s in summ:
        interval = "default (checkinterval 100)" if s["interval"] == "default" else \
            "%g ms" % (float(s["interval"]) * 1000)
        rows.append([s["python"], interval, label[s["statement"]],
                     "%d" % s["final"]["median"],
                     med_range(s["lost_pct"], 1),
                     med_range(s["wall_s"], 3),
                     med_range(s["wall_ratio_to_single"], 2),
                     load_cell(batches_for(d, python=s["python"], interval=s["interval"]))])
    return "\n".join([
        "## 1. Lost updates: `statements.py`",
        "",
        "2 threads x %s increments on a shared dict (expected %s). Each cell: median of %d runs"
        " [min–max]. \"wall ÷ 1 thread\" = the 2-thread wall time divided by the same %s"
        " increments done on one thread in the same child run." % (
            format(d["n_per_thread"], ","), format(2 * d["n_per_thread"], ","), d["reps"],
            format(2 * d["n_per_thread"], ",")),
        "Run: %s." % run_window(d),
        "",
        table(["Python", "switch interval", "statement", "final (median)", "lost %",
               "wall s", "wall ÷ 1 thread", "load"], rows),
    ])


def sec_calibrate(d):
    rows, rows2 = [], []
    for s in sorted(d["summary"], key=lambda s: vkey(s["python"])):
        c = s["cpu_ns"]
        dc = s["derived_cpu"]
        bs = batches_for(d, python=s["python"])
        rows.append([s["python"]] + [med_range(c[k], 1) for k in
                                      ("empty", "plus_eq", "add_one", "locked")] +
                    [f(s["wall_ns"]["plus_eq"]["median"], 1), load_cell(bs)])
        rows2.append([s["python"],
                      f(dc["net_plus_eq_ns"]["median"], 1), f(dc["net_add_one_ns"]["median"], 1),
                      f(dc["net_locked_ns"]["median"], 1),
                      med_range(dc["plus_eq_over_empty"], 2),
                      med_range(dc["net_add_one_over_net_plus_eq"], 2),
                      med_range(dc["net_locked_over_net_plus_eq"], 2),
                      med_range(dc["loop_share_of_plus_eq"], 2)])
    return "\n".join([
        "## 4. Single-thread cost per iteration: `calibrate.py`",
        "",
        "`for _ in range(%s)` inside a function (as bench/seed.py), thread CPU time"
        " (`time.thread_time`; 2.7: `time.clock`) in ns per iteration, median of %d child runs"
        " [min–max]; the four loops of a row's run are timed in one child (order rotated per"
        " run). Wall-clock medians are within a few %% of CPU time (`+=` wall shown)." % (
            format(d["n"], ","), d["reps"]),
        "Run: %s." % run_window(d),
        "",
        table(["Python", "empty loop", "`+= 1`", "`add_one()`", "`with lock: += 1`",
               "`+= 1` wall", "load"], rows),
        "",
        "Derived, per run then median (net = minus the empty loop; ratios are within one run):",
        "",
        table(["Python", "net `+=` ns", "net `add_one` ns", "net `locked` ns",
               "`+=` ÷ empty", "net add_one ÷ net +=", "net locked ÷ net +=",
               "loop share of `+=`"], rows2),
    ])


def sec_latency(d):
    parts = ["## 2. Wake-up lateness (GIL convoy): `latency.py`", "",
             "A thread does %d x `time.sleep(0.001)`; lateness = measured sleep − 1 ms (ms)."
             " K competitors spin `while not stop: x += 1` as threads (GIL) or as processes"
             " (CPU only). Per child run: median / p90 / max of the %d samples; cell = median"
             " of the %d runs [min–max]." % (d["samples"], d["samples"], d["reps"]),
             "Run: %s." % run_window(d), ""]
    for mode in ("threads", "processes"):
        rows = []
        summ = [s for s in d["summary"] if s["mode"] == mode]
        for s in sorted(summ, key=lambda s: (vkey(s["python"]), -s["interval"], s["k"])):
            rows.append([s["python"], "%g ms" % (s["interval"] * 1000), s["k"],
                         med_range(s["median_ms"], 2),
                         f(s["median_ms"]["median"] / (s["interval"] * 1000), 2),
                         med_range(s["p90_ms"], 2),
                         med_range(s["max_ms"], 1), f(s["pooled_p99_ms"], 1),
                         load_cell(batches_for(d, python=s["python"], mode=mode,
                                               interval=s["interval"]))])
        parts += ["### K spinning %s" % mode, "",
                  table(["Python", "switch interval", "K", "median ms", "median ÷ interval",
                         "p90 ms", "max ms",
                         "p99 pooled", "load"], rows), ""]
    return "\n".join(parts)


def sec_waiting(d):
    rows = []
    for s in sorted(d["summary"], key=lambda s: (vkey(s["python"]), s["n"])):
        rows.append([s["python"], s["n"], "%.1f" % (s["wall_s"]["median"] * 1000),
                     med_range(s["ratio_to_n1"], 3), med_range(s["ratio_to_ideal"], 3),
                     load_cell(batches_for(d, python=s["python"]))])
    work = ", ".join("%s: %.1f us" % (r["python"], r["busy_us_measured"])
                     for r in d["runs"] if "busy_us_measured" in r)
    return "\n".join([
        "## 3. Waiting threads overlap: `waiting.py`",
        "",
        "N threads x 50 x (≈20 µs Python work, then `time.sleep(0.002)`). Each child runs"
        " N=1,2,4 back to back 5 times; %d children per version, so %d ratios per cell"
        " (median [min–max]). \"÷ ideal\" = wall ÷ 50 x (2 ms + work)." % (
            d["reps"], d["reps"] * 5),
        "Measured work per iteration: %s." % work,
        "Run: %s." % run_window(d),
        "",
        table(["Python", "N threads", "wall ms (median)", "wall ÷ N=1", "wall ÷ ideal",
               "load"], rows),
    ])


def sec_startup(d):
    order = ["thread", "process_fork", "process_forkserver", "process_spawn",
             "subinterp", "pipe_1b", "pipe_1mb", "queue_1b", "queue_1mb", "interpreter_exec"]
    names = {"thread": "Thread create+start+join (x200)",
             "process_fork": "Process start+join, fork (x20)",
             "process_forkserver": "Process start+join, forkserver (x20)",
             "process_spawn": "Process start+join, spawn (x20)",
             "pipe_1b": "Pipe round trip, 1 byte (x20)",
             "pipe_1mb": "Pipe round trip, 1 MB bytes (x20)",
             "queue_1b": "Queue round trip, 1 byte (x20)",
             "queue_1mb": "Queue round trip, 1 MB bytes (x20)",
             "interpreter_exec": "`python -c pass` subprocess (x20)"}
    versions = sorted(set(s["python"] for s in d["summary"]), key=vkey)
    by = dict(((s["python"], s["what"]), s) for s in d["summary"])
    whats = sorted(set(s["what"] for s in d["summary"]),
                   key=lambda w: (order.index(w.split(":")[0]) if w.split(":")[0] in order
                                  else 99, w))
    rows = []
    for w in whats:
        label = names.get(w, "sub-interpreter create+run+destroy `%s` (x20)" % w.split(":", 1)[-1])
        row = [label]
        for v in versions:
            s = by.get((v, w))
            if not s:
                row.append("n/a")
            else:
                row.append("%s (x%s)" % (f(s["median_ms"]["median"], 3),
                                         f(s["ratio_to_thread"]["median"], 1)))
        rows.append(row)
    rows.append(["load"] + [load_cell(batches_for(d, python=v)) for v in versions])
    notes = sorted(set("%s: %s=%s" % (r["python"], k, v) for r in d["runs"]
                       for k, v in (r.get("notes") or {}).items()))
    return "\n".join([
        "## 5. Start-up and hand-off costs: `startup.py`",
        "",
        "ms per operation: each child takes the median over its repetitions; cell = median of"
        " %d children, then (x ratio to the same run's thread start)." % d["reps"],
        "Run: %s." % run_window(d),
        "",
        table(["operation"] + versions, rows),
        "",
        ("Notes recorded: " + "; ".join(notes)) if notes else "",
    ])


def sec_seed(d):
    rows = []
    for s in sorted(d["summary"], key=lambda s: vkey(s["python"])):
        rows.append([s["python"], s["workload"], med_range(s["ratio_to_single"], 2),
                     f(s["time_s"]["median"], 3),
                     ", ".join("%.2f" % x for x in s["lost_pct_samples"]),
                     load_cell(batches_for(d, python=s["python"]))])
    return "\n".join([
        "## 6. bench/seed.py `%s %s`: `run_seed.py`" % tuple(d["seed_args"]),
        "",
        "%d runs per version; time ÷ single_thread of the same run, median [min–max]." % d["reps"],
        "Run: %s." % run_window(d),
        "",
        table(["Python", "workload", "time ÷ single_thread", "time s (median)",
               "lost % per run", "load"], rows),
    ])


def main():
    data = dict((n, load(n)) for n in
                ("statements", "latency", "waiting", "calibrate", "startup", "seed"))
    present = [d for d in data.values() if d]
    if not present:
        sys.exit("no results in %s" % C.RESULTS)
    parts = ["# Real CPython measurements (GIL builds)", "",
             "Generated by `bench/python/make_summary.py` from the JSON files next to this one"
             " (raw samples, per-run load averages and interpreter details are there)."
             " Every figure is a ratio or a distribution taken within one run, repeated;"
             " absolute times are shown for orientation only (shared, noisy 2-vCPU machine).",
             "", sec_machine(present[0]), ""]
    sections = [("statements", sec_statements), ("latency", sec_latency),
                ("waiting", sec_waiting), ("calibrate", sec_calibrate),
                ("startup", sec_startup), ("seed", sec_seed)]
    for name, fn in sections:
        if data[name]:
            parts += [fn(data[name]), ""]
    path = os.path.join(C.RESULTS, "SUMMARY.md")
    kept = ""
    if os.path.exists(path):
        with open(path) as fh:
            old = fh.read()
        if KEEP in old:
            kept = old.split(KEEP, 1)[1]
    text = "\n".join(parts).rstrip() + "\n\n" + KEEP + (kept if kept else "\n")
    with open(path, "w") as fh:
        fh.write(text)
    print("wrote %s" % os.path.relpath(path, C.REPO))


if __name__ == "__main__":
    main()

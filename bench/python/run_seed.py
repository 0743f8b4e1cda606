"""Runs bench/seed.py (the seed talk's four workloads) on several CPythons and keeps the shapes.

For each version, ``python bench/seed.py TOTAL THREADS`` (default 10000000 2) is run REPS
times (default 3), one process at a time, round-robin over versions. From each run's output it
keeps every workload's execution time, final counter value and lost updates, and the time of
each workload relative to single_thread *of the same run* (the only comparable figure on a
shared, noisy machine). Writes bench/results/cpython/seed.json.

Run:

    python3 bench/python/run_seed.py [--versions 3.9,3.10,3.12,3.13] [--reps 3]
                                     [--total 10000000] [--threads 2]

(There is no --child mode: the child is bench/seed.py itself, which is not modified.)
"""
from __future__ import division, print_function

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

SEED = os.path.join(C.REPO, "bench", "seed.py")
WORKLOADS = ["single_thread", "multi_thread_share", "multi_thread_share_lock",
             "multi_thread_private"]


def parse(text):
    """{workload: {time_s, final, lost, lost_pct}} from seed.py's output."""
    out = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"===== Running (\w+)\.py =====", line)
        if m:
            current = out.setdefault(m.group(1), {})
            continue
        if current is None:
            continue
        m = re.match(r"Execution time: ([\d.]+) seconds", line)
        if m:
            current["time_s"] = float(m.group(1))
        m = re.match(r"Final counter value: (-?\d+)", line)
        if m:
            current["final"] = int(m.group(1))
        m = re.match(r"Lost updates: (-?\d+) \(([-\d.]+)%\)", line)
        if m:
            current["lost"] = int(m.group(1))
            current["lost_pct"] = float(m.group(2))
    return out


def main(argv):
    p = C.driver_parser(__doc__, "3.9,3.10,3.12,3.13")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--total", type=int, default=10000000)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    pythons = C.find_pythons(C.requested_versions(a))
    data = C.start_result(__file__, "seed", pythons, a.reps,
                          {"seed_args": [a.total, a.threads]})
    for rep, ver, exe in C.round_robin(pythons, a.reps):
        with C.Batch(C.run_label(rep, ver)) as batch:
            proc = subprocess.Popen([exe, SEED, str(a.total), str(a.threads)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate()
        text = out.decode("utf-8", "replace")
        parsed = parse(text)
        run = {"rep": rep, "python": ver, "batch": batch, "stdout": text,
               "returncode": proc.returncode, "workloads": parsed}
        if err.strip():
            run["stderr"] = err.decode("utf-8", "replace")[-2000:]
        base = parsed.get("single_thread", {}).get("time_s")
        if base:
            run["ratio_to_single"] = dict(
                (w, parsed[w]["time_s"] / base) for w in WORKLOADS if w in parsed)
        data["runs"].append(run)
    C.finish_result(data, summarise)


def summarise(runs):
    out = []
    versions = []
    for r in runs:
        if r["python"] not in versions:
            versions.append(r["python"])
    for ver in versions:
        rs = [r for r in runs if r["python"] == ver and "ratio_to_single" in r]
        for w in WORKLOADS:
            out.append({
                "python": ver, "workload": w,
                "time_s": C.summary([r["workloads"][w]["time_s"] for r in rs]),
                "ratio_to_single": C.summary([r["ratio_to_single"][w] for r in rs]),
                "lost_pct": C.summary([r["workloads"][w]["lost_pct"] for r in rs]),
                "lost_pct_samples": [r["workloads"][w]["lost_pct"] for r in rs],
            })
    return out


if __name__ == "__main__":
    main(sys.argv[1:])

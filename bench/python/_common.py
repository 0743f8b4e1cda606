"""Shared helpers for the CPython measurement scripts in this folder (not a benchmark itself).

Every script here has two halves:

* a *driver* (what you run): it finds the pyenv CPython builds, starts the script again as a
  child under each of them, strictly one child at a time, records the machine's load around
  every child, and writes one JSON file into bench/results/cpython/;
* a *child* (``--child``): measures inside the interpreter it runs on and prints its samples
  as one JSON line prefixed with ``RESULT-JSON:``.

The driver's loop lives here once (``run_children``; run_seed.py, whose child is bench/seed.py,
uses its parts), so a script keeps only its own options, measurement and summary.

Nothing here needs third-party packages; the child side keeps Python 2.7 syntax so the scripts
can be pointed at 2.7 where the measurement makes sense there.
"""
from __future__ import division, print_function

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(REPO, "bench", "results", "cpython")
PYENV = os.path.expanduser(os.environ.get("PYENV_VERSIONS", "~/.pyenv/versions"))
MARK = "RESULT-JSON:"

PY2 = sys.version_info[0] == 2
rng = xrange if PY2 else range  # noqa: F821  (2.7's range would build a 10M-element list)

# Wall clock for intervals; 2.7 has no perf_counter.
clock = getattr(time, "perf_counter", time.time)


def thread_cpu():
    """CPU seconds of the calling thread (3.7+), else of the process (2.7: time.clock)."""
    fn = getattr(time, "thread_time", None) or getattr(time, "process_time", None)
    if fn is None and PY2:
        fn = time.clock  # CPU time of the process on Unix
    return fn() if fn else None


# --------------------------------------------------------------------------- statistics

def percentile(values, q):
    """Linear-interpolated percentile, q in [0, 100]."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values):
    """Median and spread of a list of numbers (None entries dropped)."""
    xs = [v for v in values if v is not None]
    if not xs:
        return {"n": 0}
    med = percentile(xs, 50)
    return {
        "n": len(xs),
        "median": med,
        "min": min(xs),
        "max": max(xs),
        "mean": sum(xs) / len(xs),
        "p10": percentile(xs, 10),
        "p90": percentile(xs, 90),
        "spread": max(xs) - min(xs),
        "rel_spread": (max(xs) - min(xs)) / med if med else None,
    }


def rounded(values, digits=4):
    return [round(v, digits) for v in values]


# --------------------------------------------------------------------------- machine & load

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def machine_info():
    cpuinfo = _read("/proc/cpuinfo") or ""
    model = None
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    affinity = None
    if hasattr(os, "sched_getaffinity"):
        affinity = len(os.sched_getaffinity(0))
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "system": platform.system(),
        "release": platform.release(),
        "cpu_model": model,
        "os_cpu_count": os.cpu_count() if hasattr(os, "cpu_count") else None,
        "sched_affinity": affinity,
        "mem_total": ((_read("/proc/meminfo") or "").splitlines() or [None])[0],
    }


def interpreter_info():
    gil = getattr(sys, "_is_gil_enabled", None)
    interval = sys.getswitchinterval() if hasattr(sys, "getswitchinterval") else None
    return {
        "version": sys.version.split()[0],
        "version_full": sys.version,
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "gil_enabled": gil() if gil else True,
        "switchinterval": interval,
    }


def _cpu_jiffies():
    """(busy, total) jiffies over all CPUs from /proc/stat, or None."""
    text = _read("/proc/stat")
    if not text:
        return None
    fields = [int(x) for x in text.splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return total - idle, total


def load_snapshot():
    """`uptime`'s load averages plus /proc/loadavg's running-task count, right now."""
    snap = {"time": time.time()}
    try:
        snap["loadavg"] = list(os.getloadavg())
    except (AttributeError, OSError):
        snap["loadavg"] = None
    raw = _read("/proc/loadavg")
    if raw:
        snap["proc_loadavg"] = raw.strip()
    try:
        snap["uptime"] = subprocess.check_output(["uptime"]).decode().strip()
    except Exception:  # noqa: BLE001 - uptime missing is not fatal
        snap["uptime"] = None
    return snap


class Batch(object):
    """Context manager: load averages before/after and how busy the whole machine was.

    Logs its label on entry, so every child's start shows on stderr.

    ``machine_busy`` is the fraction of all CPUs' time that was non-idle during the batch
    (ours included), from /proc/stat; ``own_cpu`` is the CPU seconds our children used.
    ``other_busy_cpus`` = (machine busy CPU-seconds - our children's CPU-seconds) / wall, i.e.
    roughly how many cores other people's work kept busy while we measured.
    """

    def __init__(self, label):
        self.label = label
        self.record = {"label": label}

    def __enter__(self):
        log(self.label)
        self.record["before"] = load_snapshot()
        self._jiffies = _cpu_jiffies()
        self._times = os.times()
        self._t0 = time.time()
        return self.record

    def __exit__(self, *exc):
        wall = time.time() - self._t0
        after = _cpu_jiffies()
        times = os.times()
        own = (times[2] - self._times[2]) + (times[3] - self._times[3])
        self.record["after"] = load_snapshot()
        self.record["wall_s"] = round(wall, 3)
        self.record["own_cpu_s"] = round(own, 3)
        if self._jiffies and after:
            busy = after[0] - self._jiffies[0]
            total = after[1] - self._jiffies[1]
            ncpu = os.cpu_count() or 1
            hz = os.sysconf("SC_CLK_TCK")
            if total:
                self.record["machine_busy"] = round(busy / total, 3)
                self.record["other_busy_cpus"] = round(
                    max(0.0, (busy / hz - own) / wall) if wall else 0.0, 2)
                self.record["ncpu"] = ncpu
        return False


# --------------------------------------------------------------------------- versions & children

def main(child, driver):
    """Script entry point: ``--child`` anywhere in the arguments runs the child side."""
    argv = sys.argv[1:]
    if "--child" in argv:
        child(argv)
    else:
        driver(argv)


def child_parser():
    """The child's argument parser; it accepts the ``--child`` flag the driver passes."""
    p = argparse.ArgumentParser()
    p.add_argument("--child", action="store_true")
    return p


def driver_parser(doc, default_versions):
    """The driver's argument parser: the doc's first line as description, and --versions."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--versions", default=default_versions)
    return p


def requested_versions(args):
    """The minor versions a driver's options ask for; 2.7 first where there is a --py27 flag."""
    versions = args.versions.split(",")
    if getattr(args, "py27", False):
        versions = ["2.7"] + versions
    return versions


def find_pythons(wanted):
    """Map "3.12" -> path of ~/.pyenv/versions/3.12.x/bin/python for each wanted minor version."""
    found = {}
    try:
        names = sorted(os.listdir(PYENV))
    except OSError:
        names = []
    for name in names:
        parts = name.split(".")
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        minor = parts[0] + "." + parts[1]
        exe = os.path.join(PYENV, name, "bin", "python")
        if minor in wanted and os.path.exists(exe) and "t" not in name:
            found[minor] = exe
    return [(v, found.get(v)) for v in wanted]


def run_child(python, script, args, timeout=None):
    """Run ``python script --child args...`` and return its parsed RESULT-JSON payload."""
    cmd = [python, script, "--child"] + [str(a) for a in args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=timeout)
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    for line in reversed(out.splitlines()):
        if line.startswith(MARK):
            payload = json.loads(line[len(MARK):])
            if err.strip():
                payload["stderr"] = err[-2000:]
            return payload
    return {"error": "child printed no result", "returncode": proc.returncode,
            "stdout": out[-2000:], "stderr": err[-2000:], "cmd": cmd}


class ChildRun(object):
    """One child a driver starts: its arguments after ``--child``, the detail its log label
    adds after "rep<N> <version>", and the fields its record in "runs" gets besides
    rep, python and batch."""

    def __init__(self, args, label="", **fields):
        self.args = args
        self.label = label
        self.fields = fields


def run_label(rep, version, detail=""):
    """A child's label in the log and in its batch record: "rep0 3.12" plus any detail."""
    label = "rep%d %s" % (rep, version)
    return label + " " + detail if detail else label


def round_robin(pythons, reps):
    """(rep, version, executable) in run order: each found version once per repetition, so
    machine noise spreads evenly over the versions."""
    for rep in range(reps):
        for version, exe in pythons:
            if exe:
                yield rep, version, exe


def start_result(script, measurement, pythons, reps, settings=None):
    """A driver's JSON before its runs: header, settings, an empty "runs" and what is missing."""
    data = header(script, sys.argv)
    data.update(settings or {})
    data.update({"measurement": measurement, "reps": reps, "runs": [],
                 "missing": [v for v, exe in pythons if not exe]})
    return data


def finish_result(data, summarise):
    """Add the summary of the runs and the load at the end; write <measurement>.json."""
    data["summary"] = summarise(data["runs"])
    data["load_at_end"] = load_snapshot()
    return write_result(data["measurement"], data)


def run_children(script, measurement, versions, reps, children, summarise, settings=None):
    """The whole driver of a ``--child`` script.

    For each repetition and found version (round-robin), runs every ChildRun of
    ``children(rep, version)`` one at a time inside a Batch, keeps its result with rep, python,
    batch and the ChildRun's fields in "runs", then writes <measurement>.json (see
    start_result/finish_result; ``settings`` are the top-level fields of the measurement)."""
    pythons = find_pythons(versions)
    data = start_result(script, measurement, pythons, reps, settings)
    for rep, version, exe in round_robin(pythons, reps):
        for run in children(rep, version):
            with Batch(run_label(rep, version, run.label)) as batch:
                res = run_child(exe, script, run.args)
            res.update({"rep": rep, "python": version, "batch": batch})
            res.update(run.fields)
            data["runs"].append(res)
    return finish_result(data, summarise)


def emit(payload):
    """Child side: print the result line the driver looks for."""
    payload.setdefault("interpreter", interpreter_info())
    sys.stdout.write(MARK + json.dumps(payload) + "\n")
    sys.stdout.flush()


def write_result(name, data):
    if not os.path.isdir(RESULTS):
        os.makedirs(RESULTS)
    path = os.path.join(RESULTS, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s" % os.path.relpath(path, REPO))
    return path


def header(script, argv):
    return {
        "script": os.path.relpath(os.path.abspath(script), REPO),
        "argv": list(argv),
        "driver_python": sys.version.split()[0],
        "machine": machine_info(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_at_start": load_snapshot(),
    }


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()

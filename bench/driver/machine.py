"""The machine: /proc/stat readings, the idle wait, and its description.

/proc/stat counts in USER_HZ ticks (10 ms here), so CPU figures derived
from it are good to about ±0.01 CPU-s per CPU.
"""

import os
import platform
import re
import subprocess
import time

HZ = os.sysconf("SC_CLK_TCK")


def read_stat():
    """{"cpu": [...], "cpu0": [...], ...}: the tick counters of /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            parts = line.split()
            out[parts[0]] = [int(x) for x in parts[1:]]
    return out


def process_cpu_s(stat):
    """CPU seconds all processes have used, all CPUs together.

    user + nice + system + irq + softirq: a task's rusage includes the
    interrupt and softirq work done on its behalf (loopback TCP in W5 is
    mostly softirq), while /proc/stat files that work under irq and softirq;
    leaving them out would make "everything else" come out negative.
    """
    user, nice, system, _idle, _iowait, irq, softirq = stat["cpu"][:7]
    return (user + nice + system + irq + softirq) / HZ


def steal_s(stat):
    """CPU seconds the hypervisor gave to someone else while a vCPU was ready.

    Not in any process's rusage and not counted as noise, but reported: a
    run with much steal was slowed by the host, not by this machine.
    """
    return stat["cpu"][7] / HZ if len(stat["cpu"]) > 7 else 0.0


def busy_fractions(s0, s1):
    """{"cpu0": 0.03, ...}: fraction of each CPU not idle between s0 and s1.

    Busy is everything but idle and iowait, so it includes steal (time a
    vCPU wanted to run but the host ran someone else).
    """
    out = {}
    for name in s1:
        if name == "cpu" or name not in s0:
            continue
        d = [b - a for a, b in zip(s0[name][:8], s1[name][:8])]
        total = sum(d)
        idle = d[3] + d[4]
        out[name] = (total - idle) / total if total > 0 else 0.0
    return out


def wait_idle(threshold=0.15, window=0.25, timeout=120.0):
    """Wait until every CPU is at most threshold busy over one window.

    Returns (seconds waited, True if idle was reached before timeout).
    """
    start = time.monotonic()
    while True:
        s0 = read_stat()
        time.sleep(window)
        busy = busy_fractions(s0, read_stat())
        if all(b <= threshold for b in busy.values()):
            return time.monotonic() - start, True
        if time.monotonic() - start > timeout:
            return time.monotonic() - start, False


def _first_line(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0] if r.returncode == 0 and text else None


def describe(python, node, go):
    """A dict describing the machine and the tool versions."""
    info = {"kernel": platform.release(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            info["cpu"] = m.group(1).strip() if m else platform.machine()
    except OSError:
        info["cpu"] = platform.machine()
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
            info["memory_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            info["os"] = m.group(1) if m else None
    except OSError:
        pass
    if python:
        info["python_path"] = python
        info["python"] = _first_line([python, "-c",
                                      "import sys; print(sys.version.split()[0])"])
        for mod in ("uvloop", "trio"):
            info[mod] = _first_line([python, "-c",
                                     "import %s; print(%s.__version__)" % (mod, mod)])
    if node:
        v = _first_line([node, "--version"])
        info["node"] = v.lstrip("v") if v else None
    if go:
        v = _first_line([go, "env", "GOVERSION"])
        info["go"] = v
    return info

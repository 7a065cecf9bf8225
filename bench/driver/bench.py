#!/usr/bin/env python3
"""Benchmark driver: builds our bench programs and the peers, runs them side
by side and reports ratios (see bench/README.md and docs/benchmarks.md).

    python3 bench/driver/bench.py                  # everything, default sizes
    python3 bench/driver/bench.py --workloads W1,W2,W3
    python3 bench/driver/bench.py --quick --runs 1 # smoke run
    python3 bench/driver/bench.py --only-ours      # just our programs
    python3 bench/driver/bench.py --check-peers    # do the peers' checks fail?

Method (docs/workloads.md): every row runs --runs times, round-robin over the rows
of one group, each round starting one row further on. Before each run the driver waits until every CPU is <= 15 %
busy over 0.25 s; after it, it subtracts the program's own CPU time (wait4
rusage; plus the W5 server's) from the CPU time all processes used
(/proc/stat) and repeats the run (at most 3 tries) when anything else used
>= 0.05 CPU-s. Only standard-library Python.
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the checkout

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import machine
import report
import specs

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(REPO, "bench", "peers")
NOISE_LIMIT_S = 0.05  # CPU-s used by anything else that voids a run
MAX_TRIES = 3


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tools

def find_go():
    return shutil.which("go") or next(
        (p for p in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go") if os.access(p, os.X_OK)),
        None)


def find_python():
    """The peer Python: Debian's /usr/bin/python3, which sees python3-uvloop
    and python3-trio (a pyenv python3 on PATH does not)."""
    if os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3"
    return shutil.which("python3")


def py_has(python, mod):
    r = subprocess.run([python, "-c", "import " + mod], capture_output=True)
    return r.returncode == 0


# The peers' optional Python modules, each from Debian's python3-<name>;
# a row that needs one is skipped when it is missing.
OPTIONAL_MODULES = ("uvloop", "trio", "aiohttp", "aiofiles")


def ensure_python_libs(python, notes):
    """Install python3-uvloop / python3-trio / python3-aiohttp /
    python3-aiofiles (and wrk, W7's load tool) with apt-get when missing."""
    missing = [m for m in OPTIONAL_MODULES if not py_has(python, m)]
    need_wrk = not shutil.which("wrk")
    if not missing and not need_wrk:
        return
    if python != "/usr/bin/python3" or not shutil.which("apt-get"):
        notes.append("%s not importable by %s and no apt-get to install them"
                     % (", ".join(missing), python))
        return
    pkgs = ["python3-" + m for m in missing]
    if need_wrk:
        pkgs.append("wrk")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log("installing %s with apt-get" % " ".join(pkgs))
    for attempt in range(2):
        r = subprocess.run(prefix + ["apt-get", "install", "-y", "-q"] + pkgs,
                           capture_output=True, text=True, env=env)
        if r.returncode == 0:
            break
        if attempt == 0:
            subprocess.run(prefix + ["apt-get", "update", "-q"], capture_output=True, env=env)
    still = [m for m in missing if not py_has(python, m)]
    if still:
        notes.append("could not install %s (apt-get: %s)"
                     % (", ".join(still), (r.stderr or "").strip()[-200:]))


# ---------------------------------------------------------------- build

def go_build(go, cwd, pkg, out, notes, what):
    r = subprocess.run([go, "build", "-o", out, pkg], cwd=cwd,
                       capture_output=True, text=True)
    if r.returncode != 0:
        err = " ".join(r.stderr.strip().splitlines()[:3])
        notes.append("%s: build failed, skipped: %s" % (what, err[:300]))
        return False
    return True


def build_programs(rows, tools, bindir, notes):
    """Build what the rows need; returns {program tuple: argv prefix or None}."""
    progs = {}
    for row in rows:
        for prog in (row.program, row.server):
            if prog and prog not in progs:
                progs[prog] = None
    for prog in list(progs):
        src, name = prog
        if src == "ours":
            root = tools["ours_root"]
            pkgdir = os.path.join(root, "bench", name)
            if not os.path.isdir(pkgdir):
                notes.append("ours: bench/%s is absent, its rows are skipped" % name)
                continue
            if not tools["go"]:
                notes.append("ours: no go toolchain, bench/%s skipped" % name)
                continue
            out = os.path.join(bindir, "aio-" + name)
            log("building ./bench/%s" % name)
            if go_build(tools["go"], root, "./bench/" + name, out, notes, "bench/" + name):
                progs[prog] = [out]
        elif src == "gopeer":
            if not tools["go"]:
                notes.append("no go toolchain, Go peer %s skipped" % name)
                continue
            out = os.path.join(bindir, "peer-" + name)
            log("building bench/peers/go/%s" % name)
            if go_build(tools["go"], os.path.join(PEERS, "go"), "./" + name, out, notes,
                        "bench/peers/go/" + name):
                progs[prog] = [out]
        elif src == "py":
            path = os.path.join(PEERS, "python", name)
            if tools["python"] and os.path.exists(path):
                progs[prog] = [tools["python"], "-B", path]
            else:
                notes.append("no peer Python or %s missing" % path)
        elif src == "node":
            path = os.path.join(PEERS, "node", name)
            if tools["node"] and os.path.exists(path):
                progs[prog] = [tools["node"], path]
            else:
                notes.append("no node or %s missing" % path)
    return progs


# ---------------------------------------------------------------- running

def child_env(extra):
    env = dict(os.environ)
    for k in ("GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG", "PYTHONASYNCIODEBUG",
              "PYTHONDEVMODE", "NODE_OPTIONS"):
        env.pop(k, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def parse_result(stdout, workload):
    """The last line starting with "{" as a dict, or raise ValueError."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise ValueError("no JSON line on stdout")
    res = json.loads(lines[-1])
    head = specs.HEADLINE[workload][0]
    missing = [k for k in ("workload", "peer", "n", "elapsed_s", head) if k not in res]
    if missing:
        raise ValueError("JSON line lacks %s" % ", ".join(missing))
    if res["workload"] != workload:
        raise ValueError("JSON says workload %r, want %r" % (res["workload"], workload))
    return res


class Proc:
    """A started program whose rusage we collect with wait4."""

    def __init__(self, argv, env, cwd=None, pin=None):
        if pin is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(pin)] + argv
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(argv, stdout=self.out, stderr=self.err, env=env,
                                  cwd=cwd, start_new_session=True)
        self.pid = self.p.pid
        self.rusage = None
        self.code = None

    def wait(self, timeout):
        timer = threading.Timer(timeout, self.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(self.pid, 0)
        finally:
            timer.cancel()
        self.p.returncode = self.code = os.waitstatus_to_exitcode(status)
        self.rusage = ru
        return self.code

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def cpu_s(self):
        return self.rusage.ru_utime + self.rusage.ru_stime

    def output(self):
        self.out.seek(0)
        self.err.seek(0)
        out = self.out.read().decode(errors="replace")
        err = self.err.read().decode(errors="replace")
        self.out.close()
        self.err.close()
        return out, err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_connectable(port, proc, timeout=20.0):
    """W5 readiness probe: one connect that succeeds (then closed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def run_plain(argv, env, timeout):
    """One run of an ordinary row: (result or None, error, own CPU-s, stat0, stat1)."""
    s0 = machine.read_stat()
    proc = Proc(argv, env)
    code = proc.wait(timeout)
    s1 = machine.read_stat()
    out, err = proc.output()
    return proc, code, out, err, proc.cpu_s(), s0, s1


def run_w5(row, progs, env, timeout):
    """One W5 run: fresh server on a fresh port, probe, 0.2 s, generator, SIGTERM."""
    port = free_port()
    sargv = progs[row.server] + [a.replace("{port}", str(port)) for a in row.server_args]
    server = Proc(sargv, env, pin=0)
    try:
        if not wait_connectable(port, server):
            server.kill()
            server.wait(10)
            _, serr = server.output()
            return None, "server did not accept connections: " + serr.strip()[-300:], 0, None, None, {}
        time.sleep(0.2)
        gargv = progs[row.program] + [a.replace("{port}", str(port)) for a in row.args]
        gargv += ["-server-pid", str(server.pid)]  # taskset execs, so same pid
        s0 = machine.read_stat()
        ps0 = _proc_cpu(server.pid)
        gen = Proc(gargv, env, pin=1)
        t0 = time.monotonic()
        code = gen.wait(timeout)
        wall = time.monotonic() - t0
        s1 = machine.read_stat()
        ps1 = _proc_cpu(server.pid)
    finally:
        server.kill(signal.SIGTERM)
        server.wait(20)
        server.output()
    out, err = gen.output()
    extra = {}
    if ps0 is not None and ps1 is not None:
        extra["server_cpu"] = (ps1 - ps0) / wall  # over the generator's lifetime
    busy = machine.busy_fractions(s0, s1)
    extra["cpu0_busy"] = busy.get("cpu0")
    extra["cpu1_busy"] = busy.get("cpu1")
    own = gen.cpu_s() + (ps1 - ps0 if ps0 is not None and ps1 is not None else server.cpu_s())
    if code != 0:
        return None, _failure(code, err), own, s0, s1, extra
    return out, None, own, s0, s1, extra


def _proc_cpu(pid):
    """utime + stime of a live process (and its reaped children) in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / machine.HZ
    except (OSError, IndexError, ValueError):
        return None


def _failure(code, err):
    lines = [ln for ln in err.splitlines() if ln.startswith("FAIL")]
    tail = lines[-1] if lines else " | ".join(err.strip().splitlines()[-3:])
    return "exit %s: %s" % (code, tail[:400])


# W8 runs its files on tmpfs: this machine's virtual disk runs at a burst
# speed for a while and then at a throttled one (small files: 20-28k files/s,
# then 1.1-1.4k for every program alike), so on the disk the figures would
# say which state it was in, not what the file calls cost.
W8_DIR = "/dev/shm"


def measure(row, progs, args):
    """Run one row until the run is clean (<= MAX_TRIES); returns a run record."""
    env = child_env(row.env)
    if row.workload == "W8" and os.access(W8_DIR, os.W_OK):
        env["TMPDIR"] = W8_DIR
    best = None
    for attempt in range(1, MAX_TRIES + 1):
        waited, idle = machine.wait_idle(timeout=args.idle_timeout)
        t0 = time.time()
        if row.server:
            out, error, own, s0, s1, extra = run_w5(row, progs, env, args.timeout)
        else:
            argv = progs[row.program] + row.args
            proc, code, out, err, own, s0, s1 = run_plain(argv, env, args.timeout)
            error = _failure(code, err) if code != 0 else None
            extra = {}
        rec = {"attempt": attempt, "start": t0, "idle_wait_s": round(waited, 2),
               "idle_reached": idle, "own_cpu_s": round(own, 3)}
        if s0 and s1:
            rec["other_cpu_s"] = round(machine.process_cpu_s(s1) - machine.process_cpu_s(s0) - own, 3)
            rec["steal_s"] = round(machine.steal_s(s1) - machine.steal_s(s0), 3)
        if error is None:
            try:
                res = parse_result(out, row.workload)
                for k, v in extra.items():  # the generator's window figures win
                    if v is not None:
                        res.setdefault(k, v)
                rec["result"] = res
            except (ValueError, json.JSONDecodeError) as e:
                error = "bad output: %s" % e
        if error is not None:
            # Paths inside the checkout, not this machine's, go in the report.
            rec["error"] = error.replace(REPO + os.sep, "")
            return rec  # a failed check is never a result, and is not retried
        rec["noisy"] = rec.get("other_cpu_s", 0) >= NOISE_LIMIT_S
        if best is None or rec["other_cpu_s"] < best["other_cpu_s"]:
            best = rec
        if not rec["noisy"]:
            return rec
        log("    discarded: other processes used %.2f CPU-s (try %d of %d)"
            % (rec["other_cpu_s"], attempt, MAX_TRIES))
    best["tries"] = MAX_TRIES
    return best  # still noisy after MAX_TRIES: kept, flagged


def git_describe(root):
    """{"root", "commit", "dirty"} of the checkout our programs came from."""
    out = {"root": os.path.relpath(root, REPO) if root != REPO else "."}
    r = subprocess.run(["git", "-C", root, "rev-parse", "--short=12", "HEAD"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        out["commit"] = r.stdout.strip()
        d = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "."],
                           capture_output=True, text=True)
        out["dirty"] = bool(d.stdout.strip())
    return out


# ---------------------------------------------------------------- main

def plan(args):
    size_kind = "quick" if args.quick else "full"
    rows = []
    if args.scaling:
        for w in args.workloads:
            rows.extend(specs.scaling_rows(w, size_kind))
        return rows
    for w in args.workloads:
        rows.extend(specs.rows_for(w, specs.SIZES[size_kind][w]))
    if args.only_ours:
        rows = [r for r in rows if r.kind == "ours"]
    if args.match:
        rows = [r for r in rows if r.kind == "ours" or args.match in r.label]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(specs.WORKLOADS),
                    help="comma-separated subset of W1..W6 (default: all)")
    ap.add_argument("--runs", type=int, default=3, help="runs per row (default 3)")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    ap.add_argument("--only-ours", action="store_true", help="run only our programs")
    ap.add_argument("--match", default="", help="run only peers whose label contains this")
    ap.add_argument("--docs", dest="docs", action="store_true", default=None,
                    help="write docs/benchmarks.md even for --quick/--only-ours/--match runs")
    ap.add_argument("--no-docs", dest="docs", action="store_false",
                    help="never write docs/ (results still go to bench/results/)")
    ap.add_argument("--idle-timeout", type=float, default=120.0,
                    help="longest wait for idle CPUs before a run (s, default 120)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="kill a program after this many seconds (default 300)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results"),
                    help="results directory (default bench/results)")
    ap.add_argument("--ours-root", default=REPO,
                    help="module root to build our programs from (default: this checkout; "
                         "e.g. a git worktree of another commit)")
    ap.add_argument("--scaling", action="store_true",
                    help="run only the scaling table: our W2, W3 and W5 programs at growing "
                         "sizes, as cost per item (10k-1M tasks, 100k-10M timers, "
                         "10-1,000 connections); results go to bench/results/, and into "
                         "docs/benchmarks-scaling.md with --docs")
    ap.add_argument("--list", action="store_true", help="print the plan and exit")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only re-render benchmarks.md and the chart from a results.json "
                         "(next to it; with --docs also into docs/)")
    ap.add_argument("--check-peers", action="store_true",
                    help="verify every peer's correctness check fails when broken, then exit")
    args = ap.parse_args()
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in args.workloads if w not in specs.WORKLOADS]
    if bad:
        ap.error("unknown workload(s): %s" % ", ".join(bad))
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    if args.render:
        with open(args.render) as f:
            data = json.load(f)
        write_outputs(data, args, os.path.dirname(os.path.abspath(args.render)),
                      docs=bool(args.docs))
        return

    notes = []
    tools = {"go": find_go(), "python": find_python(), "node": shutil.which("node"),
             "ours_root": os.path.abspath(args.ours_root)}
    if tools["python"]:
        ensure_python_libs(tools["python"], notes)
        py_real = os.path.realpath(tools["python"])
        path_py = shutil.which("python3")
        if path_py and os.path.realpath(path_py) != py_real:
            # The other python3's path is this machine's, not the page's.
            notes.append("peers run with %s (Debian's, which sees python3-uvloop and "
                         "python3-trio), not another python3 that comes first on PATH" % tools["python"])
    features = {m for m in OPTIONAL_MODULES if tools["python"] and py_has(tools["python"], m)}

    if args.check_peers:
        import selftest
        sys.exit(selftest.run(tools, features))

    rows = plan(args)
    if args.list:
        for r in rows:
            print("%-3s %-5s %-10s %-55s %s %s" % (r.workload, r.kind, r.group, r.label,
                  "/".join(r.program), " ".join(r.args)))
        return

    bindir = tempfile.mkdtemp(prefix="aio-bench-")
    try:
        progs = build_programs(rows, tools, bindir, notes)
        info = machine.describe(tools["python"], tools["node"], tools["go"])
        info["gnet"] = report.gnet_version(os.path.join(PEERS, "go", "go.mod"))
        started = datetime.datetime.now(datetime.timezone.utc)
        data = {
            "started": started.isoformat(timespec="seconds"),
            "command": " ".join(["python3", "bench/driver/bench.py"] + sys.argv[1:]),
            "runs": args.runs, "quick": args.quick, "only_ours": args.only_ours,
            "scaling": args.scaling,
            "noise_limit_cpu_s": NOISE_LIMIT_S, "machine": info, "notes": notes,
            "ours": git_describe(tools["ours_root"]),
            "workloads": {},
        }
        for w in args.workloads:
            wrows = [r for r in rows if r.workload == w]
            active = []
            for r in wrows:
                progs_ok = progs.get(r.program) and (r.server is None or progs.get(r.server))
                missing = [f for f in r.needs if f not in features]
                entry = {"label": r.label, "kind": r.kind, "group": r.group,
                         "program": "/".join(r.program), "args": r.args, "env": r.env,
                         "server": "/".join(r.server) if r.server else None,
                         "server_args": r.server_args, "runs": []}
                if not progs_ok:
                    entry["skipped"] = "program not built or absent"
                elif missing:
                    entry["skipped"] = "needs " + ", ".join(missing)
                else:
                    active.append((r, entry))
                data["workloads"].setdefault(w, {"title": specs.TITLES[w], "rows": []})
                data["workloads"][w]["rows"].append(entry)
            for group in _groups(active):
                for i in range(args.runs):
                    for r, entry in _rotated(group, i):
                        log("[%s run %d/%d] %s ..." % (w, i + 1, args.runs, r.label))
                        rec = measure(r, progs, args)
                        entry["runs"].append(rec)
                        log("    " + report.describe_run(w, rec))
        data["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        write_outputs(data, args)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


def _groups(active):
    """The rows of one workload split by group, in the order of first appearance."""
    out = {}
    for r, entry in active:
        out.setdefault(r.group, []).append((r, entry))
    return list(out.values())


def _rotated(rows, i):
    """Round i of a group starts at its row i: no row always runs first, just
    after the group before it (whose left-overs, such as a disk's write-back,
    would then always land on the same row)."""
    k = i % len(rows)
    return rows[k:] + rows[:k]


def write_outputs(data, args, outdir=None, docs=None):
    """Write results.json (unless re-rendering), benchmarks.md and the chart."""
    if outdir is None:
        stamp = data["started"].replace(":", "").replace("-", "")[:15]
        outdir = os.path.join(args.out, stamp + ("-quick" if args.quick else ""))
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "results.json"), "w") as f:
            json.dump(data, f, indent=1)
        log("raw results: %s" % os.path.join(outdir, "results.json"))
        docs = args.docs
    md, svg = report.render(data)
    with open(os.path.join(outdir, "benchmarks.md"), "w") as f:
        f.write(md)
    with open(os.path.join(outdir, "benchmarks-chart.svg"), "w") as f:
        f.write(svg)
    log("results: %s" % outdir)
    if docs is None:
        has_peers = any(e["kind"] == "peer" and e["runs"]
                        for w in data["workloads"].values() for e in w["rows"])
        docs = not (args.quick or args.only_ours or args.match) and has_peers
    if docs and data.get("scaling"):
        # Only the tables: the full page includes this file.
        lines = ["## Scaling: cost per item (our programs, `bench.py --scaling`, %s)" % data["started"], ""]
        for w in specs.WORKLOADS:
            if w in data["workloads"]:
                report.workload_tables(w, data["workloads"][w], sub := [])
                lines += [("#" + l if l.startswith("## ") else l) for l in sub]
        with open(os.path.join(REPO, "docs", "benchmarks-scaling.md"), "w") as f:
            f.write("\n".join(lines).rstrip() + "\n")
        log("wrote docs/benchmarks-scaling.md")
    elif docs:
        d = os.path.join(REPO, "docs")
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(outdir, "benchmarks.md"), os.path.join(d, "benchmarks.md"))
        shutil.copy(os.path.join(outdir, "benchmarks-chart.svg"),
                    os.path.join(d, "benchmarks-chart.svg"))
        log("wrote docs/benchmarks.md and docs/benchmarks-chart.svg")
    print(os.path.join(outdir, "benchmarks.md"))


if __name__ == "__main__":
    main()

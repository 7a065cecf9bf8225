"""What the driver runs: every workload's rows (ours and the peers).

A row is one program invocation that prints one JSON line (docs/workloads.md).
Rows of a workload share a *group* when they do the same variant of the work;
the report divides each of our rows by every peer row of its group.

Programs are named by where they come from:
  ("ours", "w1")     main package bench/w1 of the library module
  ("gopeer", "w2")   main package bench/peers/go/w2 (its own module)
  ("py", "w1.py")    bench/peers/python/w1.py, run by the peer Python
  ("node", "w1.js")  bench/peers/node/w1.js
"""

from dataclasses import dataclass, field

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8")

TITLES = {
    "W1": "W1 callbacks (call_soon-style callbacks through the ready queue)",
    "W2": "W2 tasks (spawn, one sleep(0) each, gather, sum)",
    "W3": "W3 timers (LCG delays in [0,1000) ms, cancel odd, fire the rest)",
    "W4": "W4 ping-pong (round trips through two unbounded queues)",
    "W5": "W5 TCP echo on 127.0.0.1 (server on CPU 0, Go load generator on CPU 1)",
    "W6": "W6 subprocess (/usr/bin/true, C concurrent)",
    "W7": "W7 HTTP/1.1 server on 127.0.0.1 (server on CPU 0, wrk on CPU 1, keep-alive)",
    "W8": "W8 files (4 KiB files written and read back by C tasks; a large copy beside a 1 ms timer)",
}

# The headline figure of each workload (higher is better for all of them).
HEADLINE = {
    "W1": ("callbacks_per_s", "callbacks/s"),
    "W2": ("tasks_per_s", "tasks/s"),
    "W3": ("timers_per_s", "timers/s (wall)"),
    "W4": ("roundtrips_per_s", "round-trips/s"),
    "W5": ("rps", "requests/s"),
    "W6": ("spawns_per_s", "spawns/s"),
    "W7": ("rps", "requests/s"),
    "W8": ("ops_per_s", "files/s (small), MiB/s (copy)"),
}

# Secondary figures reported as medians: (JSON key, column title, format).
# Formats: "rate" (thousands), "s" (seconds), "mib" (KiB -> MiB), "int",
# "us" (microseconds), "pct" (fraction -> percent).
SECONDARY = {
    "W1": [("peak_rss_kb", "peak RSS MiB", "mib")],
    "W2": [("peak_rss_kb", "peak RSS MiB", "mib"),
           ("rss_delta_kb", "RSS growth MiB", "mib")],
    "W3": [("timers_per_cpu_s", "timers/CPU-s", "rate"),
           ("schedule_s", "schedule s", "s"),
           ("cancel_s", "cancel s", "s"),
           ("fire_s", "fire s", "s"),
           ("stop_lost", "stop_lost", "int"),
           ("peak_rss_kb", "peak RSS MiB", "mib")],
    "W4": [("peak_rss_kb", "peak RSS MiB", "mib")],
    "W5": [("p50_us", "p50 µs", "us"),
           ("p99_us", "p99 µs", "us"),
           ("server_cpu", "server proc CPU", "pct"),
           ("cpu0_busy", "CPU0 busy", "pct"),
           ("generator_cpu", "generator proc CPU", "pct"),
           ("cpu1_busy", "CPU1 busy", "pct")],
    "W6": [("peak_rss_kb", "peak RSS MiB", "mib")],
    "W7": [("server_us_per_req", "server CPU µs/req", "us"),
           ("server_cpu", "server proc CPU", "pct")],
    "W8": [("p50_late_us", "timer late p50 µs", "us"),
           ("p99_late_us", "timer late p99 µs", "us"),
           ("max_late_us", "timer late max µs", "us"),
           ("peak_rss_kb", "peak RSS MiB", "mib")],
}

# What the page says plainly under a workload's title: where our program
# does less than a peer by design, and which row is the like-for-like one.
DESIGN_NOTES = {
    "W1": "Where aio does less by design: in the chain variant our loop makes "
          "no poll system call while no descriptor is watched (and polls every "
          "32 iterations when one is), while uvloop and asyncio poll once per "
          "iteration whatever is registered. The like-for-like row is **aio "
          "chain-poll**: the same chain with one zero-timeout poll(2) of an idle "
          "pipe per callback, the system call those loops pay per iteration.",
    "W5": "Where aio does less by design: the **aio streams** server reads into "
          "one reused 64 KiB buffer per connection (`ReadInto`, as Go's net "
          "server peer does), while asyncio's and uvloop's `read(65536)` return "
          "a new bytes object each time. The like-for-like row is **aio "
          "streams-read**: `Read(ctx, 65536)`, a new slice per read.",
}

# Extra ratio columns beside the headline (W3: fast runtimes hit the ~1 s
# wall floor, so CPU per timer is the fairer comparison for them).
EXTRA_RATIOS = {"W3": [("timers_per_cpu_s", "CPU")]}

# Workload sizes: full (docs/workloads.md defaults) and --quick (smoke run).
SIZES = {
    "full": {"W1": 1_000_000, "W2": 100_000, "W3": 1_000_000, "W4": 1_000_000,
             "W5": 5.0, "W6": 500, "W7": 5.0, "W8": 2000},
    "quick": {"W1": 100_000, "W2": 10_000, "W3": 100_000, "W4": 100_000,
              "W5": 1.0, "W6": 50, "W7": 1.0, "W8": 200},
}
# W8: concurrent tasks of the small-file rows; the copy's size in MiB.
W8_CONCURRENCY = 16
W8_COPY_MIB = {"full": 1024, "quick": 64}
W3_SEED = 12345
W6_CONCURRENCY = 10
# W5 configurations: (connections, message bytes).
W5_CONFIGS = [(100, 64), (10, 16384)]
# W7 configurations: (connections, path); / is the 14-byte hello, /16k 16 KiB.
W7_CONFIGS = [(50, "/"), (50, "/16k"), (500, "/")]


@dataclass
class Row:
    workload: str
    label: str            # expected label; the program's own "peer" wins
    kind: str             # "ours" or "peer"
    group: str            # rows compared with each other
    program: tuple        # see module doc
    args: list
    env: dict = field(default_factory=dict)
    needs: tuple = ()     # optional features: bench.OPTIONAL_MODULES
    server: tuple = None  # W5: the server program; program is the generator
    server_args: list = None

    @property
    def key(self):
        env = " ".join("%s=%s" % kv for kv in sorted(self.env.items()))
        srv = " ".join(map(str, (self.server or ()) + tuple(self.server_args or ())))
        return "|".join([self.workload, self.group, "/".join(self.program),
                         " ".join(map(str, self.args)), env, srv])


def rows_for(workload, size):
    """All rows of one workload at the given size."""
    n = size
    W = workload
    out = []

    def add(label, kind, group, program, args, env=None, needs=()):
        out.append(Row(W, label, kind, group, program, [str(a) for a in args],
                       dict(env or {}), needs))

    one = {"GOMAXPROCS": "1"}
    if W == "W1":
        for v in ("chain", "upfront"):
            add("aio " + v, "ours", v, ("ours", "w1"), [v, n])
            if v == "chain":
                add("aio chain-poll", "ours", v, ("ours", "w1"), ["chain-poll", n])
            add("asyncio call_soon [%s]" % v, "peer", v, ("py", "w1.py"), [v, n, "asyncio"])
            add("uvloop call_soon [%s]" % v, "peer", v, ("py", "w1.py"), [v, n, "uvloop"],
                needs=("uvloop",))
            add("node setImmediate [%s]" % v, "peer", v, ("node", "w1.js"), [v, n, "immediate"])
            add("node queueMicrotask [%s]" % v, "peer", v, ("node", "w1.js"), [v, n, "microtask"])
        add("asyncio call_soon [upfront, gc.disable()]", "peer", "upfront",
            ("py", "w1.py"), ["upfront", n, "asyncio", "nogc"])
        add("uvloop call_soon [upfront, gc.disable()]", "peer", "upfront",
            ("py", "w1.py"), ["upfront", n, "uvloop", "nogc"], needs=("uvloop",))
    elif W == "W2":
        add("aio", "ours", "all", ("ours", "w2"), [n])
        add("asyncio create_task+gather", "peer", "all", ("py", "w2.py"), [n, "asyncio"])
        add("uvloop create_task+gather", "peer", "all", ("py", "w2.py"), [n, "uvloop"],
            needs=("uvloop",))
        add("trio nursery", "peer", "all", ("py", "w2.py"), [n, "trio"], needs=("trio",))
        add("node async fn + setImmediate promise", "peer", "all", ("node", "w2.js"), [n])
        add("go goroutines+WaitGroup+Gosched", "peer", "all", ("gopeer", "w2"), [n, "goroutines"])
        add("go goroutines+WaitGroup+Gosched (GOMAXPROCS=1)", "peer", "all",
            ("gopeer", "w2"), [n, "goroutines"], one)
        add("go iter.Pull coroutines", "peer", "all", ("gopeer", "w2"), [n, "pull"])
    elif W == "W3":
        s = W3_SEED
        add("aio virtual", "ours", "all", ("ours", "w3"), ["virtual", n, s])
        add("aio real", "ours", "all", ("ours", "w3"), ["real", n, s])
        add("asyncio call_later [real clock]", "peer", "all", ("py", "w3.py"),
            ["real", n, s, "asyncio"])
        add("asyncio call_later [virtual clock]", "peer", "all", ("py", "w3.py"),
            ["virtual", n, s, "asyncio"])
        add("uvloop call_later [real clock]", "peer", "all", ("py", "w3.py"),
            ["real", n, s, "uvloop"], needs=("uvloop",))
        add("node setTimeout/clearTimeout", "peer", "all", ("node", "w3.js"), ["real", n, s])
        add("go time.AfterFunc", "peer", "all", ("gopeer", "w3"), ["real", n, s])
        add("go time.AfterFunc (GOMAXPROCS=1)", "peer", "all", ("gopeer", "w3"),
            ["real", n, s], one)
    elif W == "W4":
        add("aio", "ours", "all", ("ours", "w4"), [n])
        add("asyncio.Queue", "peer", "all", ("py", "w4.py"), [n, "asyncio"])
        add("uvloop + asyncio.Queue", "peer", "all", ("py", "w4.py"), [n, "uvloop"],
            needs=("uvloop",))
        add("trio memory channel (inf)", "peer", "all", ("py", "w4.py"), [n, "trio"],
            needs=("trio",))
        add("node promise queue", "peer", "all", ("node", "w4.js"), [n])
        for mode, name in (("cap1", "cap 1"), ("unbuffered", "unbuffered")):
            add("go chan %s (GOMAXPROCS=1)" % name, "peer", "all", ("gopeer", "w4"),
                [n, mode], one)
            add("go chan %s (default GOMAXPROCS)" % name, "peer", "all",
                ("gopeer", "w4"), [n, mode])
    elif W == "W5":
        out.extend(w5_rows(size))
    elif W == "W7":
        out.extend(w7_rows(size))
    elif W == "W6":
        c = W6_CONCURRENCY
        add("aio", "ours", "all", ("ours", "w6"), [n, c])
        add("asyncio create_subprocess_exec (3.11 default ThreadedChildWatcher)", "peer",
            "all", ("py", "w6.py"), [n, c, "threaded"])
        add("asyncio create_subprocess_exec (PidfdChildWatcher)", "peer", "all",
            ("py", "w6.py"), [n, c, "pidfd"])
        add("uvloop create_subprocess_exec", "peer", "all", ("py", "w6.py"),
            [n, c, "uvloop"], needs=("uvloop",))
        add("node child_process.spawn", "peer", "all", ("node", "w6.js"), [n, c])
        add("go os/exec", "peer", "all", ("gopeer", "w6"), [n, c])
    elif W == "W8":
        c = W8_CONCURRENCY
        add("aio files", "ours", "small", ("ours", "w8"), ["small", n, c])
        add("asyncio aiofiles", "peer", "small", ("py", "w8.py"), ["small", n, c, "aiofiles"], needs=("aiofiles",))
        add("asyncio to_thread", "peer", "small", ("py", "w8.py"), ["small", n, c, "to_thread"])
        add("go os from goroutines", "peer", "small", ("gopeer", "w8"), ["small", n, c])
        mib = W8_COPY_MIB["quick" if n < SIZES["full"]["W8"] else "full"]
        add("aio files", "ours", "copy", ("ours", "w8"), ["copy", mib, "files"])
        add("aio os.File in a task (blocks the loop)", "ours", "copy", ("ours", "w8"),
            ["copy", mib, "naive"])
        add("asyncio aiofiles", "peer", "copy", ("py", "w8.py"), ["copy", mib, "aiofiles"], needs=("aiofiles",))
        add("asyncio to_thread", "peer", "copy", ("py", "w8.py"), ["copy", mib, "to_thread"])
        add("asyncio open() in a task (blocks the loop)", "peer", "copy", ("py", "w8.py"),
            ["copy", mib, "naive"])
        add("go os from a goroutine", "peer", "copy", ("gopeer", "w8"), ["copy", mib])
    return out


# The scaling table (--scaling): our programs at growing sizes, reported as
# cost per item, so that a cost that grows with the size shows.
SCALING = {
    "full": {"W2": [10_000, 100_000, 1_000_000], "W3": [100_000, 1_000_000, 10_000_000],
             "W5": [10, 100, 1000]},
    "quick": {"W2": [1_000, 10_000], "W3": [10_000, 100_000], "W5": [2, 10]},
}
SCALING_GROUP = "scaling: cost per item"


def scaling_rows(workload, kind):
    """Our rows of the scaling table for one workload (W2, W3, W5)."""
    sizes = SCALING[kind].get(workload, [])
    out = []
    for n in sizes:
        if workload == "W2":
            out.append(Row("W2", "aio [%d tasks]" % n, "ours", SCALING_GROUP, ("ours", "w2"), [str(n)]))
        elif workload == "W3":
            out.append(Row("W3", "aio virtual [%d timers]" % n, "ours", SCALING_GROUP,
                           ("ours", "w3"), ["virtual", str(n), str(W3_SEED)]))
        elif workload == "W5":
            d = SIZES[kind]["W5"]
            out.append(Row("W5", "aio protocol [%d connections, S=64]" % n, "ours", SCALING_GROUP,
                           ("gopeer", "w5load"),
                           ["-addr", "127.0.0.1:{port}", "-conns", str(n), "-size", "64",
                            "-duration", "%gs" % d, "-warmup", "%gs" % min(0.5, d / 2)],
                           {}, (), ("ours", "w5"), ["protocol", "{port}"]))
    return out


def w5_rows(duration):
    """W5: one row per (server, configuration); the program is the generator.

    "{port}" in server_args is replaced by a fresh port per run.
    """
    servers = [
        ("aio protocol", "ours", ("ours", "w5"), ["protocol", "{port}"], ()),
        ("aio streams", "ours", ("ours", "w5"), ["streams", "{port}"], ()),
        ("aio streams-read", "ours", ("ours", "w5"), ["streams-read", "{port}"], ()),
        ("asyncio streams", "peer", ("py", "w5.py"), ["streams", "{port}", "asyncio"], ()),
        ("asyncio protocol", "peer", ("py", "w5.py"), ["protocol", "{port}", "asyncio"], ()),
        ("uvloop streams", "peer", ("py", "w5.py"), ["streams", "{port}", "uvloop"], ("uvloop",)),
        ("uvloop protocol", "peer", ("py", "w5.py"), ["protocol", "{port}", "uvloop"], ("uvloop",)),
        ("node net", "peer", ("node", "w5.js"), ["{port}"], ()),
        ("go net goroutine-per-conn", "peer", ("gopeer", "w5server"), ["net", "{port}"], ()),
        ("gnet v2 (1 event loop)", "peer", ("gopeer", "w5gnet"), ["{port}"], ()),
    ]
    out = []
    for conns, size in W5_CONFIGS:
        group = "N=%d, S=%d" % (conns, size)
        for label, kind, prog, sargs, needs in servers:
            out.append(Row("W5", "%s [%s]" % (label, group), kind, group,
                           ("gopeer", "w5load"),
                           ["-addr", "127.0.0.1:{port}", "-conns", str(conns),
                            "-size", str(size), "-duration", "%gs" % duration,
                            "-warmup", "%gs" % min(0.5, duration / 2)],
                           {}, needs, prog, sargs))
    return out


def w7_rows(duration):
    """W7: one row per (server, configuration); the program is wrk's wrapper.

    The driver pins every server to CPU 0, so Go's default GOMAXPROCS is 1
    there too (the runtime follows the affinity mask): net/http on all
    cores is measured by bench/w7/compare.py, unpinned.
    """
    one = {"GOMAXPROCS": "1"}
    servers = [
        ("aio web (1 loop)", "ours", ("ours", "w7"), ["{port}"], (), {}),
        ("go net/http (GOMAXPROCS=1)", "peer", ("gopeer", "w7server"), ["{port}"], (), one),
        ("aiohttp (asyncio)", "peer", ("py", "w7.py"), ["{port}"], ("aiohttp",), {}),
        ("aiohttp (uvloop)", "peer", ("py", "w7.py"), ["{port}", "--uvloop"], ("aiohttp", "uvloop"), {}),
        ("node http", "peer", ("node", "w7.js"), ["{port}"], (), {}),
    ]
    out = []
    for conns, path in W7_CONFIGS:
        group = "c=%d, %s" % (conns, path)
        for label, kind, prog, sargs, needs, env in servers:
            out.append(Row("W7", "%s [%s]" % (label, group), kind, group,
                           ("gopeer", "w7wrk"),
                           ["-addr", "127.0.0.1:{port}", "-conns", str(conns),
                            "-path", path, "-duration", "%ds" % max(1, int(duration))],
                           env, needs, prog, sargs))
    return out

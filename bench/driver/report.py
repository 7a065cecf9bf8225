"""Turns the driver's raw results into docs/benchmarks.md and an SVG chart.

Statistics: median, min and max of the headline figure over a row's
successful runs; medians of the secondary figures; and for every peer row
the ratio of our median to the peer's median (ours / peer; above 1 means
ours is faster, since every headline figure is a rate).
"""

import math
import os
import re
import statistics
from xml.sax.saxutils import escape

import specs

REPRO = "python3 bench/driver/bench.py"


# ---------------------------------------------------------------- figures

def fmt(value, kind="rate"):
    if value is None:
        return "—"
    if kind == "rate":
        return "{:,.0f}".format(value) if value >= 100 else "{:,.1f}".format(value)
    if kind == "s":
        return "%.3g" % value
    if kind == "mib":
        return "{:,.0f}".format(value / 1024)
    if kind == "int":
        return "{:,.0f}".format(value)
    if kind == "us":
        return "{:,.0f}".format(value) if value >= 100 else "%.3g" % value
    if kind == "pct":
        return "%.0f%%" % (100 * value)
    return str(value)


def short_rate(v):
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            x = v / div
            return ("%.3g" % x) + suffix
    return "%.3g" % v


def ok_results(entry):
    return [r["result"] for r in entry["runs"] if "result" in r]


def label_of(entry):
    if entry.get("server") is None and entry.get("group") != specs.SCALING_GROUP:
        for res in ok_results(entry):
            if res.get("peer"):
                return str(res["peer"])
    return entry["label"]


def stats(entry, workload):
    """{"median", "min", "max", "n", <secondary medians>} or None."""
    head = specs.HEADLINE[workload][0]
    res = ok_results(entry)
    vals = [r[head] for r in res if isinstance(r.get(head), (int, float))]
    if not vals:
        return None
    out = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
           "n": len(vals)}
    keys = [k for k, _, _ in specs.SECONDARY[workload]]
    keys += [k for k, _ in specs.EXTRA_RATIOS.get(workload, [])]
    for k in keys:
        xs = [r[k] for r in res if isinstance(r.get(k), (int, float))]
        out[k] = statistics.median(xs) if xs else None
    return out


def describe_run(workload, rec):
    """One progress line for the terminal."""
    if "error" in rec:
        return "FAILED: " + rec["error"]
    key, unit = specs.HEADLINE[workload]
    v = rec["result"].get(key)
    noise = " NOISY" if rec.get("noisy") else ""
    return "%s %s (other CPU %.2f s, steal %.2f s, waited %.1f s for idle)%s" % (
        fmt(v), unit, rec.get("other_cpu_s", 0), rec.get("steal_s", 0), rec["idle_wait_s"], noise)


def gnet_version(gomod):
    try:
        with open(gomod) as f:
            m = re.search(r"github\.com/panjf2000/gnet/v2\s+(v\S+)", f.read())
            return m.group(1) if m else None
    except OSError:
        return None


# ---------------------------------------------------------------- markdown

def machine_lines(m):
    def v(k):
        return m.get(k) or "not found"
    return [
        "| | |", "|---|---|",
        "| CPU | %s, %s cores (as seen by the guest) |" % (v("cpu"), v("cores")),
        "| memory | %s GiB |" % v("memory_gib"),
        "| OS / kernel | %s / Linux %s |" % (v("os"), v("kernel")),
        "| Python (peers) | %s (`%s`) |" % (v("python"), v("python_path")),
        "| uvloop / trio | %s / %s (Debian packages python3-uvloop, python3-trio) |"
        % (v("uvloop"), v("trio")),
        "| Node | %s |" % v("node"),
        "| Go | %s |" % v("go"),
        "| gnet | %s |" % v("gnet"),
    ]


def groups_of(rows):
    seen = []
    for e in rows:
        if e["group"] not in seen:
            seen.append(e["group"])
    return seen


def workload_tables(w, wdata, lines):
    head_key, unit = specs.HEADLINE[w]
    secondary = specs.SECONDARY[w]
    extra = specs.EXTRA_RATIOS.get(w, [])
    rows = wdata["rows"]
    lines += ["", "## " + wdata["title"], ""]
    if w in specs.DESIGN_NOTES and specs.SCALING_GROUP not in groups_of(rows):
        lines += [specs.DESIGN_NOTES[w], ""]
    for g in groups_of(rows):
        grows = [e for e in rows if e["group"] == g]
        ours = [(e, stats(e, w)) for e in grows if e["kind"] == "ours"]
        ours = [(e, s) for e, s in ours if s]
        if g == specs.SCALING_GROUP:
            ours = []  # no ratios between sizes: the cost per item is the figure
        if len(groups_of(rows)) > 1:
            lines += ["### %s [%s]" % (w, g), ""]
        scaling = g == specs.SCALING_GROUP
        cols = ["peer", unit + " median", "min", "max", "runs"]
        if scaling:
            cols.append("ns per item")
        cols += [t for _, t, _ in secondary]
        for e, _ in ours:
            cols.append("%s ÷ peer" % label_of(e))
            for _, tag in extra:
                cols.append("%s ÷ peer (%s)" % (label_of(e), tag))
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|---|" + "---:|" * (len(cols) - 1))
        for e in grows:
            s = stats(e, w)
            name = escape_md(label_of(e))
            if e["kind"] == "ours":
                name = "**%s** (ours)" % name
            if e.get("skipped"):
                lines.append("| %s | skipped: %s |" % (name, e["skipped"]) + " |" * (len(cols) - 2))
                continue
            fails = [r for r in e["runs"] if "error" in r]
            if s is None:
                msg = fails[0]["error"] if fails else "no runs"
                lines.append("| %s | FAILED: %s |" % (name, escape_md(msg[:160]))
                             + " |" * (len(cols) - 2))
                continue
            runs = str(s["n"])
            noisy = sum(1 for r in e["runs"] if r.get("noisy"))
            if fails:
                runs += " (+%d failed)" % len(fails)
            if noisy:
                runs += " (%d noisy)" % noisy
            cells = [name, fmt(s["median"]), fmt(s["min"]), fmt(s["max"]), runs]
            if scaling:
                cells.append("%.0f" % (1e9 / s["median"]) if s["median"] else "—")
            cells += [fmt(s.get(k), kind) for k, _, kind in secondary]
            for oe, os_ in ours:
                if e is oe or e["kind"] == "ours":
                    cells += ["—"] * (1 + len(extra))
                    continue
                cells.append(ratio(os_["median"], s["median"]))
                for k, _ in extra:
                    cells.append(ratio(os_.get(k), s.get(k)))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if not ours and g != specs.SCALING_GROUP:
            lines += ["(No result from our program for this table, so no ratios.)", ""]


def ours_desc(o):
    where = "this checkout" if o.get("root", ".") == "." else "`%s`" % o["root"]
    if o.get("commit"):
        where += " at commit %s%s" % (o["commit"], " plus uncommitted changes" if o.get("dirty") else "")
    return where


def ratio(a, b):
    if not a or not b:
        return "—"
    return "%.2f×" % (a / b)


def escape_md(s):
    return s.replace("|", "\\|")


def render(data):
    """(markdown, svg) for one run's data."""
    m = data["machine"]
    date = data["started"][:10]
    lines = [
        "# Benchmarks",
        "",
        "Generated by the benchmark driver on %s (UTC %s to %s): our programs "
        "(bench/w1 … bench/w8) and the peers of [bench/peers](../bench/peers) "
        "running the workloads of [docs/workloads.md](workloads.md) side by side, %d run(s) per row, "
        "round-robin.%s" % (date, data["started"][11:19], data.get("finished", "?")[11:19],
                             data["runs"], " **Quick (smoke) sizes.**" if data["quick"] else ""),
        "",
        "Our programs were built from %s." % ours_desc(data.get("ours", {})),
        "",
        "**These figures come from one run on a shared, noisy virtual machine. They "
        "are comparable only with each other, inside this run: read the ratios "
        "(ours ÷ peer, above 1 = ours faster), not the absolute numbers, and do "
        "not compare them with another run or another machine.**",
        "",
        "![median of each row per workload, ours highlighted](benchmarks-chart.svg)",
        "",
        "## Reproduce",
        "",
        "From the repository root, on an otherwise idle machine:",
        "",
        "    " + REPRO,
        "",
        "(`--workloads W1,W2,W3` for a subset, `--runs N`, `--quick` for a smoke run; "
        "see bench/README.md.) This run was: `%s`." % data["command"],
        "",
        "## Machine",
        "",
    ] + machine_lines(m) + [
        "",
        "## Method",
        "",
        "Each program run is one measurement and prints one JSON line; a run whose "
        "correctness check fails is never a result. Before each run the driver waits "
        "until every CPU is at most 15 %% busy over 0.25 s; after it, it subtracts the "
        "program's own CPU time (wait4 rusage, plus the server's in W5) from the CPU "
        "time all processes used (/proc/stat), and repeats the run (at most 3 tries) "
        "if anything else used ≥ %.2f CPU-s. A run still disturbed after 3 tries is "
        "kept and counted as *noisy* in the runs column. Tables show the median, min "
        "and max of the headline figure and medians of the secondary figures."
        % data["noise_limit_cpu_s"],
    ]
    total = sum(len(e["runs"]) for w in data["workloads"].values() for e in w["rows"])
    retried = sum(1 for w in data["workloads"].values() for e in w["rows"]
                  for r in e["runs"] if r.get("attempt", 1) > 1 or r.get("tries"))
    kept = [r for w in data["workloads"].values() for e in w["rows"] for r in e["runs"]]
    steal = sum(r.get("steal_s", 0) for r in kept)
    idle_missed = sum(1 for r in kept if not r.get("idle_reached", True))
    lines += ["", "%d runs kept; %d of them needed a repeat because something else "
              "used the CPU." % (total, retried)]
    if any("steal_s" in r for r in kept):
        lines[-1] += (" The hypervisor stole %.1f CPU-s from this guest during the kept "
                      "runs (steal is not noise from inside this machine, but it slows a "
                      "run)." % steal)
    if idle_missed:
        lines += ["", "%d runs started without the CPUs becoming idle within the "
                  "idle timeout." % idle_missed]
    for w in specs.WORKLOADS:
        if w in data["workloads"]:
            workload_tables(w, data["workloads"][w], lines)
    # The scaling table comes from its own run (--scaling), kept in
    # docs/benchmarks-scaling.md so that a full run shows it too.
    scaling_md = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "benchmarks-scaling.md")
    if not data.get("scaling") and os.path.exists(scaling_md):
        with open(scaling_md) as f:
            lines += ["", f.read().rstrip(), ""]
    lines += ["## Reading these numbers", ""] + READING
    # Hand-written notes (targets, figures from go test -bench) live in
    # docs/benchmarks-notes.md, so that a new run keeps them.
    notes_md = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "benchmarks-notes.md")
    if os.path.exists(notes_md):
        with open(notes_md) as f:
            lines += ["", f.read().rstrip()]
    if data["notes"]:
        lines += ["", "## Notes from this run", ""]
        lines += ["- " + escape_md(n) for n in data["notes"]]
    lines.append("")
    return "\n".join(lines), chart(data)


READING = [
    "- W1 chain measures one loop iteration per callback (`queueMicrotask` runs all "
    "N in one microtask drain); upfront enqueues N first. The `gc.disable()` rows "
    "are CPython diagnostics: with 1 M live handles the cyclic GC dominates.",
    "- W3's wall rate has a floor of about 1 s (delays are real time up to 999 ms), "
    "so fast runtimes hit ≈ 1 M timers/s; compare timers/CPU-s and the phase times "
    "for them. Go's `time.AfterFunc` timers fire while the rest are still being "
    "scheduled, each in a new goroutine (`stop_lost` counts Stops that lost).",
    "- W4: Node's waiters wake through promise microtasks, not a loop turn per hop; "
    "asyncio, uvloop and trio go through the ready queue on every hop.",
    "- W5: server and generator share one kernel; when the generator's CPU is near "
    "100 % it, not the server, is the limit, so those rows are lower bounds for the "
    "server. Server CPU and CPU busy figures cover the generator's whole run "
    "(start-up, warm-up and window).",
    "- W6 spawns `/usr/bin/true`; the figure is dominated by fork/exec and reaping.",
    "- W7: server CPU µs/req is the server's CPU time during the measured window "
    "÷ the requests served in it; wrk on CPU 1 is the limit only when its own "
    "CPU is near 100 %.",
    "- W8 runs in /dev/shm (tmpfs), so it measures the cost of the file calls, not "
    "a disk. In the copy group the timer columns are the figure that matters: how "
    "late a 1 ms sleeper wakes while the copy runs (the blocking rows show what "
    "a loop that reads files itself does to it).",
]


# ---------------------------------------------------------------- chart

def chart(data):
    """Horizontal bars of each row's median, one log-scale panel per table."""
    panels = []
    for w in specs.WORKLOADS:
        if w not in data["workloads"]:
            continue
        rows = data["workloads"][w]["rows"]
        for g in groups_of(rows):
            name = w if len(groups_of(rows)) == 1 else "%s [%s]" % (w, g)
            figures = [("median", specs.HEADLINE[w][1])]
            figures += [(k, "median of the per-run %s" % title)
                        for k, title, _ in specs.SECONDARY[w]
                        if k in dict(specs.EXTRA_RATIOS.get(w, []))]
            for key, title in figures:
                bars = []
                for e in rows:
                    s = stats(e, w) if e["group"] == g else None
                    if s and s.get(key):
                        bars.append((label_of(e), s[key], e["kind"] == "ours"))
                if bars:
                    if key == "median":
                        title = "median " + title
                    panels.append(("%s — %s (log scale)" % (name, title), bars))

    longest = max([len(b[0]) for _, bars in panels for b in bars] or [10])
    width, right = 1000, 70
    left = min(580, int(longest * 7.4) + 20)
    plot_w = width - left - right
    bar_h, gap, head_h, axis_h = 16, 6, 30, 22
    y = 40
    out = []
    for title, bars in panels:
        vals = [v for _, v, _ in bars if v > 0]
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(max(vals)))
        if hi <= lo:
            hi = lo * 10
        span = math.log10(hi) - math.log10(lo)

        def x_of(v):
            return left + plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / span

        out.append('<text x="10" y="%d" class="t">%s</text>' % (y + 16, escape(title)))
        top = y + head_h
        bottom = top + len(bars) * (bar_h + gap)
        d = lo
        while d <= hi * 1.0001:
            for mult in (1, 2, 5):
                v = d * mult
                if v > hi * 1.0001:
                    break
                x = x_of(v)
                major = mult == 1
                out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="%s"/>'
                           % (x, top - 4, x, bottom, "g" if major else "m"))
                if major:
                    out.append('<text x="%.1f" y="%d" class="a">%s</text>'
                               % (x, bottom + 14, short_rate(v)))
            d *= 10
        for i, (label, v, ours) in enumerate(bars):
            by = top + i * (bar_h + gap)
            out.append('<text x="%d" y="%d" class="l%s">%s</text>'
                       % (left - 8, by + bar_h - 4, " o" if ours else "", escape(label)))
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" class="%s"/>'
                       % (left, by, max(1.0, x_of(v) - left), bar_h, "bo" if ours else "bp"))
            out.append('<text x="%.1f" y="%d" class="v">%s</text>'
                       % (x_of(v) + 4, by + bar_h - 4, short_rate(v)))
        y = bottom + axis_h + 16
    height = y + 10
    head = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' % (width, height, width, height),
        "<style>.t{font-weight:bold;font-size:13px}.l{text-anchor:end}.o{font-weight:bold}"
        ".a{text-anchor:middle;fill:#555;font-size:10px}.v{fill:#333;font-size:11px}"
        ".g{stroke:#bbb}.m{stroke:#eee}.bp{fill:#7a9cc6}.bo{fill:#e8731a}</style>",
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="10" y="20" class="t">aio benchmarks, %s: medians per row; ours in '
        'orange (one run, one machine; compare within a panel)</text>' % escape(data["started"][:10]),
    ]
    return "\n".join(head + out + ["</svg>", ""])

"""Helpers shared by the Python peers of docs/workloads.md (W1-W6).

Each peer is one program run = one measurement: it prints one JSON line on
stdout (the last line starting with "{") or exits non-zero with "FAIL: ..."
on stderr when its correctness check fails.
"""

import json
import resource
import sys


def maxrss_kb():
    """ru_maxrss of this process in KiB (a high-water mark)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fail(msg):
    """Report a failed correctness check; a failed check is never a result."""
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def emit(**fields):
    """Print the single result line."""
    fields["python"] = sys.version.split()[0]
    print(json.dumps(fields), flush=True)


def arg(i, default, conv=str):
    """Positional argument i (1-based, like sys.argv) or default."""
    if len(sys.argv) > i and sys.argv[i] != "":
        return conv(sys.argv[i])
    return default


def new_loop(name):
    """A fresh event loop of the named kind: "asyncio" or "uvloop"."""
    if name == "asyncio":
        import asyncio
        return asyncio.SelectorEventLoop()
    if name == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    fail("unknown loop %r (want asyncio or uvloop)" % name)


def loop_factory(name):
    """A loop_factory for asyncio.Runner."""
    return lambda: new_loop(name)


def lcg_delays_ms(n, seed):
    """W3's delays: a 32-bit LCG, (state >> 8) mod 1000 milliseconds."""
    out = [0] * n
    state = seed & 0xFFFFFFFF
    for i in range(n):
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        out[i] = (state >> 8) % 1000
    return out


def library_versions():
    """Versions of uvloop and trio if importable (for the report)."""
    out = {}
    for mod in ("uvloop", "trio"):
        try:
            m = __import__(mod)
            out[mod] = getattr(m, "__version__", "?")
        except ImportError:
            pass
    return out

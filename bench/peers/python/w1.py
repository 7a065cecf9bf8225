"""W1 callbacks (docs/workloads.md): N callbacks through loop.call_soon.

Usage: w1.py chain|upfront N [asyncio|uvloop] [nogc]

chain:   each callback schedules the next one while counter < N, so this
         measures N loop iterations with one callback each.
upfront: N call_soon calls (inside the timed interval), then run until the
         counter reaches N.
nogc:    diagnostic row; the cyclic GC is off during the run (CPython's
         generational passes over 1 M live handles dominate upfront).

Timed from just before the first call_soon until loop.run_forever() returns
(the N-th callback calls loop.stop()). Check: counter == N.
"""

import gc
import time

from common import arg, emit, fail, maxrss_kb, new_loop


def main():
    variant = arg(1, "chain")
    n = arg(2, 1_000_000, int)
    loop_name = arg(3, "asyncio")
    nogc = arg(4, "") == "nogc"
    if variant not in ("chain", "upfront"):
        fail("unknown variant %r (want chain or upfront)" % variant)
    if n < 1:
        fail("N must be >= 1")

    loop = new_loop(loop_name)
    call_soon = loop.call_soon
    stop = loop.stop
    counter = 0

    if variant == "chain":
        def cb():
            nonlocal counter
            counter += 1
            if counter < n:
                call_soon(cb)
            else:
                stop()
    else:
        def cb():
            nonlocal counter
            counter += 1
            if counter == n:
                stop()

    if nogc:
        gc.disable()
    rss0 = maxrss_kb()
    t0 = time.perf_counter()
    if variant == "chain":
        call_soon(cb)
    else:
        for _ in range(n):
            call_soon(cb)
    loop.run_forever()
    t1 = time.perf_counter()
    rss1 = maxrss_kb()
    if nogc:
        gc.enable()
    loop.close()

    if counter != n:
        fail("counter = %d, want %d" % (counter, n))
    elapsed = t1 - t0
    tags = variant + (", gc.disable()" if nogc else "")
    emit(workload="W1", peer="%s call_soon [%s]" % (loop_name, tags),
         variant=variant, gc=not nogc, n=n, elapsed_s=elapsed,
         callbacks_per_s=n / elapsed, peak_rss_kb=rss1,
         rss_delta_kb=rss1 - rss0)


if __name__ == "__main__":
    main()

"""W3 timers (docs/workloads.md): schedule N timers, cancel the odd ones, fire the rest.

Usage: w3.py virtual|real N SEED [asyncio|uvloop]

real:    loop.call_later(delay_ms / 1000, cb) on the loop's monotonic clock.
virtual: asyncio only. A SelectorEventLoop subclass whose time() is a virtual
         clock that starts at 0 and advances only when the loop would block:
         select(timeout) with timeout > 0 adds timeout to the clock and polls
         with timeout 0 (trio MockClock(autojump_threshold=0) semantics).

Delays come from the 32-bit LCG in docs/workloads.md, generated before timing.
Timed: t0, schedule all; t1, cancel i = 1, 3, 5, ...; t2, run until the
callback that brings the counter to ceil(N/2) stops the loop; t3.

Check: exactly ceil(N/2) callbacks ran and no cancelled one. After t3 (outside
the interval) the loop runs on until every timer's deadline has passed; a
cancelled timer that fired anyway shows up as a counter above ceil(N/2).
"""

import asyncio
import selectors
import time

from common import arg, emit, fail, lcg_delays_ms, maxrss_kb, new_loop


class _AutojumpSelector(selectors.DefaultSelector):
    """Never blocks: a positive timeout advances the owning clock instead."""

    def __init__(self, clock):
        super().__init__()
        self._clock = clock

    def select(self, timeout=None):
        if timeout is not None and timeout > 0:
            self._clock.now += timeout
            timeout = 0
        return super().select(timeout)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """SelectorEventLoop whose time() starts at 0 and jumps when it would block."""

    def __init__(self):
        self.now = 0.0
        super().__init__(selector=_AutojumpSelector(self))

    def time(self):
        return self.now


def main():
    clock = arg(1, "virtual")
    n = arg(2, 1_000_000, int)
    seed = arg(3, 12345, int)
    loop_name = arg(4, "asyncio")
    if clock not in ("virtual", "real"):
        fail("unknown clock %r (want virtual or real)" % clock)
    if clock == "virtual":
        if loop_name != "asyncio":
            fail("the virtual clock exists for asyncio only")
        loop = VirtualClockLoop()
    else:
        loop = new_loop(loop_name)
    delays = lcg_delays_ms(n, seed)
    expected = (n + 1) // 2
    counter = 0
    stop = loop.stop

    def cb():
        nonlocal counter
        counter += 1
        if counter == expected:
            stop()

    call_later = loop.call_later
    handles = [None] * n
    rss0 = maxrss_kb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        handles[i] = call_later(delays[i] / 1000, cb)
    last_scheduled = loop.time()
    t1 = time.perf_counter()
    for i in range(1, n, 2):
        handles[i].cancel()
    t2 = time.perf_counter()
    if expected > 0:
        loop.run_forever()
    t3 = time.perf_counter()
    c3 = time.process_time()
    rss1 = maxrss_kb()

    fired_in_time = counter
    # Drain: every timer is due by last_scheduled + 0.999 s; run past that.
    loop.call_at(last_scheduled + 1.01, stop)
    loop.run_forever()
    loop.close()
    if fired_in_time != expected or counter != expected:
        fail("%d callbacks ran (%d after the drain), want exactly %d"
             % (fired_in_time, counter, expected))

    cpu = c3 - c0
    emit(workload="W3", peer="%s call_later [%s clock]" % (loop_name, clock),
         clock=clock, n=n, seed=seed, elapsed_s=t3 - t0,
         timers_per_s=n / (t3 - t0), schedule_s=t1 - t0, cancel_s=t2 - t1,
         fire_s=t3 - t2, cpu_s=cpu,
         timers_per_cpu_s=n / cpu if cpu > 0 else None,
         fired=counter, peak_rss_kb=rss1, rss_delta_kb=rss1 - rss0)


if __name__ == "__main__":
    main()

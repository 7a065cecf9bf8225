"""W4 ping-pong (docs/workloads.md): N round trips between two tasks via two queues.

Usage: w4.py N [asyncio|uvloop|trio]

Task A: v = 0; N times: ab.put_nowait(v + 1); v = await ba.get()
Task B: N times: v = await ab.get(); ba.put_nowait(v + 1)
asyncio/uvloop use asyncio.Queue() (unbounded); trio uses
trio.open_memory_channel(math.inf) per direction (send_nowait / receive).

Timed from before the tasks are created until both have finished.
Check: A's final token == 2N.
"""

import math
import time

from common import arg, emit, fail, loop_factory, maxrss_kb


def run_asyncio(n, loop_name):
    import asyncio

    async def task_a(ab, ba):
        put, get = ab.put_nowait, ba.get
        v = 0
        for _ in range(n):
            put(v + 1)
            v = await get()
        return v

    async def task_b(ab, ba):
        get, put = ab.get, ba.put_nowait
        for _ in range(n):
            v = await get()
            put(v + 1)

    async def main():
        ab, ba = asyncio.Queue(), asyncio.Queue()
        t0 = time.perf_counter()
        a = asyncio.create_task(task_a(ab, ba))
        b = asyncio.create_task(task_b(ab, ba))
        v, _ = await asyncio.gather(a, b)
        t1 = time.perf_counter()
        return v, t1 - t0

    with asyncio.Runner(loop_factory=loop_factory(loop_name)) as runner:
        return runner.run(main())


def run_trio(n):
    import trio

    async def task_a(ab_send, ba_recv, out):
        put, get = ab_send.send_nowait, ba_recv.receive
        v = 0
        for _ in range(n):
            put(v + 1)
            v = await get()
        out.append(v)

    async def task_b(ab_recv, ba_send):
        get, put = ab_recv.receive, ba_send.send_nowait
        for _ in range(n):
            v = await get()
            put(v + 1)

    async def main():
        ab_send, ab_recv = trio.open_memory_channel(math.inf)
        ba_send, ba_recv = trio.open_memory_channel(math.inf)
        out = []
        t0 = time.perf_counter()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(task_a, ab_send, ba_recv, out)
            nursery.start_soon(task_b, ab_recv, ba_send)
        t1 = time.perf_counter()
        return out[0], t1 - t0

    return trio.run(main)


def main():
    n = arg(1, 1_000_000, int)
    lib = arg(2, "asyncio")
    if lib == "trio":
        v, elapsed = run_trio(n)
        peer = "trio memory channel (inf)"
    else:
        v, elapsed = run_asyncio(n, lib)
        peer = "asyncio.Queue" if lib == "asyncio" else "%s + asyncio.Queue" % lib
    if v != 2 * n:
        fail("final token = %d, want %d" % (v, 2 * n))
    emit(workload="W4", peer=peer, n=n, elapsed_s=elapsed,
         roundtrips_per_s=n / elapsed, peak_rss_kb=maxrss_kb())


if __name__ == "__main__":
    main()

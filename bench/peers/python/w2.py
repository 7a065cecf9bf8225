"""W2 tasks (docs/workloads.md): spawn N tasks, one sleep(0) each, gather, sum.

Usage: w2.py N [asyncio|uvloop|trio]

asyncio/uvloop: create_task for all i, then gather, run via
asyncio.Runner(loop_factory=...), timed inside the main coroutine.
trio: nursery.start_soon(work, i) for all i; work stores results[i] = i
(trio tasks cannot return values); the nursery exit is the gather.

Timed from before the first spawn to after the sum. Check: sum == N(N-1)/2.
"""

import time

from common import arg, emit, fail, loop_factory, maxrss_kb


def run_asyncio(n, loop_name):
    import asyncio

    async def work(i):
        await asyncio.sleep(0)
        return i

    async def main():
        create_task = asyncio.create_task
        rss0 = maxrss_kb()
        t0 = time.perf_counter()
        tasks = [create_task(work(i)) for i in range(n)]
        total = sum(await asyncio.gather(*tasks))
        t1 = time.perf_counter()
        return total, t1 - t0, rss0, maxrss_kb()

    with asyncio.Runner(loop_factory=loop_factory(loop_name)) as runner:
        return runner.run(main())


def run_trio(n):
    import trio

    async def work(i, results):
        await trio.sleep(0)
        results[i] = i

    async def main():
        rss0 = maxrss_kb()
        t0 = time.perf_counter()
        results = [0] * n
        async with trio.open_nursery() as nursery:
            start_soon = nursery.start_soon
            for i in range(n):
                start_soon(work, i, results)
        total = sum(results)
        t1 = time.perf_counter()
        return total, t1 - t0, rss0, maxrss_kb()

    return trio.run(main)


def main():
    n = arg(1, 100_000, int)
    lib = arg(2, "asyncio")
    if lib == "trio":
        total, elapsed, rss0, rss1 = run_trio(n)
        peer = "trio nursery"
    else:
        total, elapsed, rss0, rss1 = run_asyncio(n, lib)
        peer = "%s create_task+gather" % lib
    want = n * (n - 1) // 2
    if total != want:
        fail("sum = %d, want %d" % (total, want))
    emit(workload="W2", peer=peer, n=n, elapsed_s=elapsed,
         tasks_per_s=n / elapsed, peak_rss_kb=rss1, rss_delta_kb=rss1 - rss0)


if __name__ == "__main__":
    main()

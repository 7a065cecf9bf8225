"""W6 subprocess (docs/workloads.md): spawn and reap N x /usr/bin/true, C at a time.

Usage: w6.py N C [threaded|pidfd|uvloop]

threaded: asyncio with Python 3.11's default ThreadedChildWatcher (one
          waitpid thread per child).
pidfd:    asyncio with PidfdChildWatcher (the 3.12+ default).
uvloop:   the same code on uvloop (libuv process handles, SIGCHLD).

C workers share a job counter; each takes the next job, spawns
create_subprocess_exec("/usr/bin/true") with stdio on /dev/null, awaits
exit and checks the exit code is 0. Timed from before the workers start until
all have finished. Check: N children ran, every one exited 0.
"""

import asyncio
import subprocess
import time

from common import arg, emit, fail, loop_factory, maxrss_kb

TRUE = "/usr/bin/true"


def main():
    n = arg(1, 500, int)
    c = arg(2, 10, int)
    kind = arg(3, "threaded")
    if kind not in ("threaded", "pidfd", "uvloop"):
        fail("unknown kind %r (want threaded, pidfd or uvloop)" % kind)
    loop_name = "uvloop" if kind == "uvloop" else "asyncio"
    DEVNULL = subprocess.DEVNULL

    async def main_coro():
        if kind == "pidfd":
            watcher = asyncio.PidfdChildWatcher()
            watcher.attach_loop(asyncio.get_running_loop())
            asyncio.set_child_watcher(watcher)
        jobs = iter(range(n))  # shared: next() never awaits, so no race
        done = []
        bad = []

        async def worker():
            for job in jobs:
                p = await asyncio.create_subprocess_exec(
                    TRUE, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
                rc = await p.wait()
                if rc != 0:
                    bad.append((job, rc))
                done.append(job)

        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(c)])
        t1 = time.perf_counter()
        return t1 - t0, len(done), bad

    with asyncio.Runner(loop_factory=loop_factory(loop_name)) as runner:
        elapsed, count, bad = runner.run(main_coro())
    if count != n or bad:
        fail("%d of %d children reaped; non-zero exits: %r" % (count, n, bad[:5]))
    if kind == "threaded":
        peer = "asyncio create_subprocess_exec (3.11 default ThreadedChildWatcher)"
    elif kind == "pidfd":
        peer = "asyncio create_subprocess_exec (PidfdChildWatcher)"
    else:
        peer = "uvloop create_subprocess_exec"
    emit(workload="W6", peer=peer, n=n, c=c, elapsed_s=elapsed,
         spawns_per_s=n / elapsed, peak_rss_kb=maxrss_kb())


if __name__ == "__main__":
    main()

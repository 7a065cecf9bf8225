"""W8 files (docs/workloads.md).

Usage:
  w8.py small N C [aiofiles|to_thread]   N files of 4 KiB written then read back by C tasks
  w8.py copy MIB [aiofiles|to_thread|naive]   one MIB MiB file copied in 1 MiB chunks

small: C tasks share a job counter; job i writes file i (bytes that depend
on i), reads it back and checks every byte. copy: the source is written
and flushed to the disk before the clock starts (the copy is flushed
after it stops), so no run pays for another's write-back; one task copies it while another sleeps 1 ms at
a time and records how late each wake-up was. naive calls the file's
methods in the task (blocking the loop). Check: the copy's SHA-256 equals
the source's. W8_BREAK=1 plants one wrong byte, which the check catches.
"""

import asyncio
import hashlib
import os
import shutil
import tempfile
import time

from common import arg, emit, fail, maxrss_kb

BROKEN = os.environ.get("W8_BREAK") == "1"
CHUNK = 1 << 20


def content(i):
    return (hashlib.sha256(str(i).encode()).digest() * 128)[:4096]


async def small(d, n, c, how):
    if how == "aiofiles":
        import aiofiles

        async def write(name, data):
            async with aiofiles.open(name, "wb") as f:
                await f.write(data)

        async def read(name):
            async with aiofiles.open(name, "rb") as f:
                return await f.read()
    else:
        def wsync(name, data):
            with open(name, "wb") as f:
                f.write(data)

        def rsync(name):
            with open(name, "rb") as f:
                return f.read()

        async def write(name, data):
            await asyncio.to_thread(wsync, name, data)

        async def read(name):
            return await asyncio.to_thread(rsync, name)

    jobs = iter(range(n))

    async def worker():
        for i in jobs:
            name = os.path.join(d, "f%06d" % i)
            want = content(i)
            data = want
            if BROKEN and i == n // 2:
                data = bytes([want[0] ^ 1]) + want[1:]
            await write(name, data)
            if await read(name) != want:
                raise RuntimeError("file %d read back wrong" % i)

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(c)))
    return time.monotonic() - t0


async def copy(src, dst, how):
    late = []
    done = False

    async def ticker():
        while not done:
            t0 = time.monotonic()
            await asyncio.sleep(0.001)
            late.append(max(0.0, time.monotonic() - t0 - 0.001))

    tk = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)
    t0 = time.monotonic()
    i = 0
    if how == "naive":
        with open(src, "rb") as fi, open(dst, "wb") as fo:
            while True:
                b = fi.read(CHUNK)
                if not b:
                    break
                if BROKEN and i == 1:
                    b = bytes([b[0] ^ 1]) + b[1:]
                fo.write(b)
                i += 1
    elif how == "aiofiles":
        import aiofiles
        async with aiofiles.open(src, "rb") as fi, aiofiles.open(dst, "wb") as fo:
            while True:
                b = await fi.read(CHUNK)
                if not b:
                    break
                if BROKEN and i == 1:
                    b = bytes([b[0] ^ 1]) + b[1:]
                await fo.write(b)
                i += 1
    else:
        fi, fo = await asyncio.to_thread(open, src, "rb"), await asyncio.to_thread(open, dst, "wb")
        try:
            while True:
                b = await asyncio.to_thread(fi.read, CHUNK)
                if not b:
                    break
                if BROKEN and i == 1:
                    b = bytes([b[0] ^ 1]) + b[1:]
                await asyncio.to_thread(fo.write, b)
                i += 1
        finally:
            await asyncio.to_thread(fi.close)
            await asyncio.to_thread(fo.close)
    elapsed = time.monotonic() - t0
    done = True
    await tk
    return elapsed, late


def main():
    mode = arg(1, "small")
    d = tempfile.mkdtemp(prefix="w8-")
    try:
        if mode == "small":
            n, c, how = arg(2, 2000, int), arg(3, 16, int), arg(4, "aiofiles")
            if how not in ("aiofiles", "to_thread"):
                fail("unknown kind %r" % how)
            try:
                elapsed = asyncio.run(small(d, n, c, how))
            except RuntimeError as e:
                fail(str(e))
            emit(workload="W8", peer="asyncio " + how, mode="small", n=n, c=c,
                 elapsed_s=elapsed, files_per_s=n / elapsed, ops_per_s=n / elapsed, peak_rss_kb=maxrss_kb())
            return
        if mode != "copy":
            fail("unknown mode %r" % mode)
        mib, how = arg(2, 1024, int), arg(3, "aiofiles")
        if how not in ("aiofiles", "to_thread", "naive"):
            fail("unknown kind %r" % how)
        src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
        h = hashlib.sha256()
        with open(src, "wb") as f:
            for _ in range(mib):
                b = os.urandom(CHUNK)
                h.update(b)
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        want = h.digest()
        elapsed, late = asyncio.run(copy(src, dst, how))
        with open(dst, "rb+") as f:
            os.fsync(f.fileno())
        h = hashlib.sha256()
        with open(dst, "rb") as f:
            while b := f.read(CHUNK):
                h.update(b)
        if h.digest() != want:
            fail("the copy differs from the source")
        late.sort()

        def q(p):
            return late[min(len(late) - 1, int(p * len(late)))] * 1e6 if late else 0

        label = {"naive": "asyncio open() in a task (blocks the loop)"}.get(how, "asyncio " + how)
        emit(workload="W8", peer=label, mode="copy", n=mib, elapsed_s=elapsed,
             mib_per_s=mib / elapsed, ops_per_s=mib / elapsed, ticks=len(late), p50_late_us=q(0.5),
             p99_late_us=q(0.99), max_late_us=q(1), peak_rss_kb=maxrss_kb())
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""W7 side by side: each server pinned to CPU 0, wrk pinned to CPU 1.

Usage (from the repository root, after building):
    go build -o /tmp/w7 ./bench/w7
    (cd bench/peers/go && go build -o /tmp/w7server ./w7server)
    python3 bench/w7/compare.py [--duration 5] [--rounds 3] [--conns 50] [--path /]

Prints one line per run and, per row, the median requests/s, server CPU
per request (µs) and ours / peer. It checks each server's answer with
curl first (body byte for byte) and fails a run with socket errors or
non-2xx answers. Also measures RSS per idle keep-alive connection
(--idle N opens N idle connections and reads the server's RSS growth).
"""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "peers")


def rows():
    return [
        ("ours web (1 loop)", ["/tmp/w7", "{port}"], {}),
        ("net/http GOMAXPROCS=1", ["/tmp/w7server", "{port}"], {"GOMAXPROCS": "1"}),
        ("net/http all cores", ["/tmp/w7server", "{port}"], {}),
        ("aiohttp asyncio", ["/usr/bin/python3", os.path.join(PEERS, "python", "w7.py"), "{port}"], {}),
        ("aiohttp uvloop", ["/usr/bin/python3", os.path.join(PEERS, "python", "w7.py"), "{port}", "--uvloop"], {}),
        ("node http", ["node", os.path.join(PEERS, "node", "w7.js"), "{port}"], {}),
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / HZ


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(argv, env, port, pin_all):
    argv = [a.replace("{port}", str(port)) for a in argv]
    e = dict(os.environ, **env)
    cpus = "0-%d" % (os.cpu_count() - 1) if pin_all else "0"
    p = subprocess.Popen(["taskset", "-c", cpus] + argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return p
        except OSError:
            if p.poll() is not None:
                raise RuntimeError("server exited: " + p.stderr.read().decode()[-300:])
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("server did not listen")


def check(port, path, want):
    out = subprocess.run(["curl", "-s", "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, timeout=10).stdout
    if out != want:
        raise RuntimeError("wrong body for %s: %d bytes" % (path, len(out)))


def wrk(port, path, conns, duration):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "http://127.0.0.1:%d%s" % (port, path)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not m or not total:
        raise RuntimeError("wrk output: " + out)
    if "Socket errors" in out or "Non-2xx" in out:
        raise RuntimeError("wrk reported errors:\n" + out)
    return float(m.group(1)), int(total.group(1))


def idle_rss(pid, port, n):
    before = rss_kib(pid)
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    for s in socks:
        s.recv(4096)
    time.sleep(0.5)
    after = rss_kib(pid)
    for s in socks:
        s.close()
    return (after - before) * 1024 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--path", default="/")
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--match", default="")
    a = ap.parse_args()
    want = b"Hello, World!\n" if a.path == "/" else b"x" * 16384
    res = {}
    for rnd in range(a.rounds):
        for label, argv, env in rows():
            if a.match and a.match not in label and not label.startswith("ours"):
                continue
            port = free_port()
            p = start(argv, env, port, pin_all="all cores" in label)
            try:
                check(port, a.path, want)
                wrk(port, a.path, a.conns, 1)  # warm-up
                c0 = cpu_s(p.pid)
                rps, total = wrk(port, a.path, a.conns, a.duration)
                c1 = cpu_s(p.pid)
                per = (c1 - c0) / total * 1e6
                line = "%-24s round %d: %9.0f req/s  %6.1f µs CPU/req" % (label, rnd, rps, per)
                if a.idle:
                    per_conn = idle_rss(p.pid, port, a.idle)
                    line += "  %6.0f B RSS/idle conn" % per_conn
                    res.setdefault(label, []).append((rps, per, per_conn))
                else:
                    res.setdefault(label, []).append((rps, per, 0))
                print(line, flush=True)
            finally:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    ours = statistics.median(r[0] for r in res["ours web (1 loop)"])
    print("\n%-24s %10s %10s %10s %12s" % ("row", "req/s", "µs/req", "ours/peer", "B/idle conn"))
    for label, rs in res.items():
        rps = statistics.median(r[0] for r in rs)
        print("%-24s %10.0f %10.1f %10.2f %12.0f" % (label, rps, statistics.median(r[1] for r in rs),
                                                     ours / rps, statistics.median(r[2] for r in rs)))


if __name__ == "__main__":
    sys.exit(main())

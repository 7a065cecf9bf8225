"""--check-peers: does every peer's correctness check fail when it should?

For each peer program the self-test first runs it unchanged at a small size
(it must exit 0 and print a valid JSON line), then runs a copy with one
deliberate bug (a lost callback, a wrong result, a cancel that does not
cancel, a child that exits 1) and expects a non-zero exit with no result.
The copies live in a temporary directory; the checkout is never modified.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import bench

# (file under bench/peers, old text, new text, argv after the program, needs)
# Each old text must occur in the file; every occurrence is replaced.
MUTATIONS = [
    ("python/w1.py", "if counter < n:", "if counter < n - 1:", ["chain", "1000", "asyncio"], ()),
    ("python/w1.py", "if counter < n:", "if counter < n - 1:", ["chain", "1000", "uvloop"], ("uvloop",)),
    ("python/w1.py", "counter += 1\n            if counter == n:",
     "counter += 2\n            if counter == n:", ["upfront", "1000", "asyncio", "nogc"], ()),
    ("python/w1.py", "counter += 1\n            if counter == n:",
     "counter += 2\n            if counter == n:", ["upfront", "1000", "uvloop"], ("uvloop",)),
    ("python/w2.py", "return i\n", "return i + 1\n", ["1000", "asyncio"], ()),
    ("python/w2.py", "return i\n", "return i + 1\n", ["1000", "uvloop"], ("uvloop",)),
    ("python/w2.py", "results[i] = i", "results[i] = i + 1", ["1000", "trio"], ("trio",)),
    ("python/w3.py", "handles[i].cancel()", "pass", ["real", "2000", "12345", "asyncio"], ()),
    ("python/w3.py", "handles[i].cancel()", "pass", ["virtual", "2000", "12345", "asyncio"], ()),
    ("python/w3.py", "handles[i].cancel()", "pass", ["real", "2000", "12345", "uvloop"], ("uvloop",)),
    ("python/w4.py", "put(v + 1)\n\n", "put(v + 2)\n\n", ["1000", "asyncio"], ()),
    ("python/w4.py", "put(v + 1)\n\n", "put(v + 2)\n\n", ["1000", "uvloop"], ("uvloop",)),
    ("python/w4.py", "put(v + 1)\n\n    async def main", "put(v + 2)\n\n    async def main",
     ["1000", "trio"], ("trio",)),
    ("python/w6.py", '"/usr/bin/true"', '"/usr/bin/false"', ["20", "4", "threaded"], ()),
    ("python/w6.py", '"/usr/bin/true"', '"/usr/bin/false"', ["20", "4", "pidfd"], ()),
    ("python/w6.py", '"/usr/bin/true"', '"/usr/bin/false"', ["20", "4", "uvloop"], ("uvloop",)),
    ("node/w1.js", "if (counter < n) schedule(chain);", "if (counter < n - 1) schedule(chain);",
     ["chain", "1000", "immediate"], ()),
    ("node/w1.js", "if (counter < n) schedule(chain);", "if (counter < n - 1) schedule(chain);",
     ["chain", "1000", "microtask"], ()),
    ("node/w1.js", "if (counter === n) finish();", "if (counter === n - 1) finish();",
     ["upfront", "1000", "immediate"], ()),
    ("node/w1.js", "if (counter === n) finish();", "if (counter === n - 1) finish();",
     ["upfront", "1000", "microtask"], ()),
    ("node/w2.js", "return i;", "return i + 1;", ["1000"], ()),
    ("node/w3.js", "clearTimeout(handles[i]);", "void handles[i];", ["real", "2000", "12345"], ()),
    ("node/w4.js", "ba.putNowait(v + 1);", "ba.putNowait(v + 2);", ["1000"], ()),
    ("node/w6.js", "'/usr/bin/true'", "'/usr/bin/false'", ["20", "4"], ()),
    ("go/w2/main.go", "results[i] = i", "results[i] = i + 1", ["1000", "goroutines"], ()),
    ("go/w2/main.go", "results[i] = i", "results[i] = i + 1", ["1000", "pull"], ()),
    # A Stop that "succeeds" without stopping: the timer still fires.
    ("go/w3/main.go", "if timers[i].Stop() {", "if _ = timers[i]; true {",
     ["real", "2000", "12345"], ()),
    ("go/w4/main.go", "ba <- v + 1", "ba <- v + 2", ["1000", "cap1"], ()),
    ("go/w4/main.go", "ba <- v + 1", "ba <- v + 2", ["1000", "unbuffered"], ()),
    ("go/w6/main.go", '"/usr/bin/true"', '"/usr/bin/false"', ["20", "4"], ()),
    ("python/w8.py", "await write(name, data)", "await write(name, data[:-1])",
     ["small", "100", "4", "aiofiles"], ()),
    ("python/w8.py", "await write(name, data)", "await write(name, data[:-1])",
     ["small", "100", "4", "to_thread"], ()),
    ("python/w8.py", "await fo.write(b)", "await fo.write(b[1:])", ["copy", "4", "aiofiles"], ()),
    ("python/w8.py", "await asyncio.to_thread(fo.write, b)", "await asyncio.to_thread(fo.write, b[1:])",
     ["copy", "4", "to_thread"], ()),
    ("python/w8.py", "fo.write(b)\n                i += 1\n    elif", "fo.write(b[1:])\n                i += 1\n    elif",
     ["copy", "4", "naive"], ()),
    ("go/w8/main.go", "os.WriteFile(name, data, 0o600)", "os.WriteFile(name, data[1:], 0o600)",
     ["small", "100", "4"], ()),
    ("go/w8/main.go", "out.Write(buf[:n])", "out.Write(buf[1:n])", ["copy", "4"], ()),
    # W5: the check is the load generator's; each broken server must trip it.
    ("python/w5.py", "writer.write(data)", "writer.write(data.upper())",
     ["streams", "{port}", "asyncio"], ()),
    ("python/w5.py", "self.transport.write(data)", "self.transport.write(data[::-1])",
     ["protocol", "{port}", "asyncio"], ()),
    ("python/w5.py", "self.transport.write(data)", "self.transport.write(data + b'x')",
     ["protocol", "{port}", "uvloop"], ("uvloop",)),
    ("node/w5.js", "sock.write(d)", "sock.write(Buffer.from(d).reverse())", ["{port}"], ()),
    ("go/w5server/main.go", "c.Write(buf[:n])", "c.Write(buf[:n-1])", ["net", "{port}"], ()),
    ("go/w5gnet/main.go", "c.Write(buf)", "c.Write(append(buf, 'x'))", ["{port}"], ()),
]


def _argv(tools, root, rel, bindir):
    """The command that runs peer file rel from the tree at root."""
    path = os.path.join(root, rel)
    if rel.startswith("python/"):
        return [tools["python"], "-B", path]
    if rel.startswith("node/"):
        return [tools["node"], path]
    pkg = "./" + os.path.dirname(rel)[len("go/"):]
    out = os.path.join(bindir, pkg.strip("./").replace("/", "-"))
    r = subprocess.run([tools["go"], "build", "-o", out, pkg], cwd=os.path.join(root, "go"),
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("build failed: " + r.stderr.strip()[-300:])
    return [out]


def _run_w5(server_argv, tools, tmp):
    """Start a server, probe it, run the load generator for 1 s against it."""
    port = bench.free_port()
    argv = [a.replace("{port}", str(port)) for a in server_argv]
    srv = bench.Proc(argv, bench.child_env({}))
    try:
        if not bench.wait_connectable(port, srv):
            return 1, "", "server did not start"
        gen = _argv(tools, bench.PEERS, "go/w5load/main.go", tmp)
        return _run(gen + ["-addr", "127.0.0.1:%d" % port, "-conns", "10", "-size", "100",
                           "-duration", "1s", "-warmup", "0.2s"])
    finally:
        srv.kill()
        srv.wait(10)
        srv.output()


def _run(argv):
    env = bench.child_env({})
    try:
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return r.returncode, r.stdout, r.stderr


def run(tools, features):
    failures = 0
    tmp = tempfile.mkdtemp(prefix="aio-peer-check-")
    try:
        good_root = os.path.join(tmp, "good")
        shutil.copytree(bench.PEERS, good_root)
        for i, (rel, old, new, args, needs) in enumerate(MUTATIONS):
            name = "%s %s" % (rel, " ".join(args))
            if any(f not in features for f in needs) or \
                    (rel.startswith("node/") and not tools["node"]) or \
                    (rel.startswith("go/") and not tools["go"]):
                print("SKIP  %s (missing tool or package)" % name)
                continue
            bad_root = os.path.join(tmp, "bad%d" % i)
            shutil.copytree(bench.PEERS, bad_root)
            path = os.path.join(bad_root, rel)
            with open(path) as f:
                text = f.read()
            if old not in text:
                print("ERROR %s: mutation target %r not found" % (name, old))
                failures += 1
                continue
            with open(path, "w") as f:
                f.write(text.replace(old, new))
            try:
                good = _argv(tools, good_root, rel, tmp) + args
                bad = _argv(tools, bad_root, rel, os.path.join(tmp, "bad%d" % i)) + args
            except RuntimeError as e:
                print("ERROR %s: %s" % (name, e))
                failures += 1
                continue
            run = (lambda a: _run_w5(a, tools, tmp)) if "{port}" in args else _run
            code, out, err = run(good)
            workload = "W" + os.path.basename(rel).lstrip("w")[0] if "/w" in rel else "?"
            if rel.startswith("go/"):
                workload = "W" + rel.split("/")[1][1]
            try:
                if code != 0:
                    raise ValueError("exit %s: %s" % (code, err.strip()[-200:]))
                bench.parse_result(out, workload)
            except ValueError as e:
                print("ERROR %s: the unchanged peer failed: %s" % (name, e))
                failures += 1
                continue
            code, out, err = run(bad)
            has_result = any(ln.startswith("{") for ln in out.splitlines())
            msg = (err.strip().splitlines() or ["(no stderr)"])
            fail_line = next((ln for ln in msg if ln.startswith("FAIL")), msg[0])
            if code not in (0, None) and not has_result:
                print("ok    %s: with %r -> %r the check fails: %s"
                      % (name, old.strip()[:40], new.strip()[:40], fail_line[:120]))
            else:
                print("ERROR %s: broken peer was not caught (exit %s, result line %s)"
                      % (name, code, has_result))
                failures += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d problem(s)" % failures)
    return 1 if failures else 0

'use strict';
// Helpers shared by the Node peers of docs/workloads.md (W1-W6). Each peer is one
// program run = one measurement: one JSON line on stdout, or exit code 1 with
// "FAIL: ..." on stderr when its correctness check fails.

// Seconds on the monotonic clock, from an origin taken at start-up (so the
// BigInt-to-double conversion never loses nanoseconds).
const origin = process.hrtime.bigint();
function now() {
  return Number(process.hrtime.bigint() - origin) / 1e9;
}

// ru_maxrss of this process in KiB (a high-water mark).
function maxrssKB() {
  return process.resourceUsage().maxRSS;
}

// Process CPU time (user + system) in seconds.
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function fail(msg) {
  process.stderr.write('FAIL: ' + msg + '\n');
  process.exit(1);
}

function emit(fields) {
  fields.node = process.versions.node;
  process.stdout.write(JSON.stringify(fields) + '\n');
}

// Positional argument i (0 = the first after the script name) or def.
function arg(i, def) {
  const v = process.argv[2 + i];
  return v === undefined || v === '' ? def : v;
}

function intArg(i, def) {
  const v = arg(i, undefined);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) fail('not an integer: ' + v);
  return n;
}

// W3's delays: a 32-bit LCG, (state >> 8) mod 1000 ms. 1664525 * (2^32 - 1)
// + 1013904223 < 2^53, so double arithmetic is exact here.
function lcgDelaysMs(n, seed) {
  const out = new Int32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (1664525 * state + 1013904223) % 4294967296;
    out[i] = (state >>> 8) % 1000;
  }
  return out;
}

module.exports = { now, maxrssKB, cpuSeconds, fail, emit, arg, intArg, lcgDelaysMs };

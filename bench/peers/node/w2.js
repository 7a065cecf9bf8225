'use strict';
// W2 tasks (docs/workloads.md): N async functions, one setImmediate hop each,
// Promise.all, sum.
//
// Usage: node w2.js N
//
// An async function runs synchronously to its first await, so each
// setImmediate is registered during spawning. Timed from before the first
// spawn to after the sum. Check: sum == N(N-1)/2.
const { now, maxrssKB, fail, emit, intArg } = require('./common');

const n = intArg(0, 100000);

async function work(i) {
  await new Promise((r) => setImmediate(r));
  return i;
}

async function main() {
  const rss0 = maxrssKB();
  const t0 = now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = work(i);
  const results = await Promise.all(ps);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += results[i];
  const t1 = now();
  const rss1 = maxrssKB();
  const want = (n * (n - 1)) / 2;
  if (sum !== want) fail(`sum = ${sum}, want ${want}`);
  const elapsed = t1 - t0;
  emit({
    workload: 'W2', peer: 'node async fn + setImmediate promise', n,
    elapsed_s: elapsed, tasks_per_s: n / elapsed,
    peak_rss_kb: rss1, rss_delta_kb: rss1 - rss0,
  });
}

main();

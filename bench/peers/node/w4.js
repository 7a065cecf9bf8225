'use strict';
// W4 ping-pong (docs/workloads.md): N round trips between two async functions
// through two unbounded FIFO queues.
//
// Usage: node w4.js N
//
// Node has no built-in async queue, so AsyncQueue below is the smallest
// honest one: an array of items plus a FIFO of waiting resolvers. Wake-ups
// are promise microtasks, not event-loop turns. Timed from before the tasks
// are created until both have finished. Check: A's final token == 2N.
const { now, maxrssKB, fail, emit, intArg } = require('./common');

class AsyncQueue {
  constructor() { this.items = []; this.waiters = []; }
  putNowait(v) {
    if (this.waiters.length > 0) this.waiters.shift()(v);
    else this.items.push(v);
  }
  get() {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

const n = intArg(0, 1000000);

async function taskA(ab, ba) {
  let v = 0;
  for (let i = 0; i < n; i++) {
    ab.putNowait(v + 1);
    v = await ba.get();
  }
  return v;
}

async function taskB(ab, ba) {
  for (let i = 0; i < n; i++) {
    const v = await ab.get();
    ba.putNowait(v + 1);
  }
}

async function main() {
  const ab = new AsyncQueue();
  const ba = new AsyncQueue();
  const t0 = now();
  const [v] = await Promise.all([taskA(ab, ba), taskB(ab, ba)]);
  const t1 = now();
  if (v !== 2 * n) fail(`final token = ${v}, want ${2 * n}`);
  emit({
    workload: 'W4', peer: 'node promise queue', n,
    elapsed_s: t1 - t0, roundtrips_per_s: n / (t1 - t0), peak_rss_kb: maxrssKB(),
  });
}

main();

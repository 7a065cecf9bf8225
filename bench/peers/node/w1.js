'use strict';
// W1 callbacks (docs/workloads.md): N callbacks through setImmediate or queueMicrotask.
//
// Usage: node w1.js chain|upfront N [immediate|microtask]
//
// chain:   each callback schedules the next while counter < N. setImmediate
//          runs a callback scheduled from a callback on the next loop turn;
//          queueMicrotask runs all N in one microtask drain.
// upfront: N schedule calls (inside the timed interval), then the counter
//          runs up to N.
// Timed from just before the first schedule call until the N-th callback
// reads the clock. Check: counter == N.
const { now, maxrssKB, fail, emit, arg, intArg } = require('./common');

const variant = arg(0, 'chain');
const n = intArg(1, 1000000);
const mech = arg(2, 'immediate');
if (variant !== 'chain' && variant !== 'upfront') fail('unknown variant ' + variant);
if (mech !== 'immediate' && mech !== 'microtask') fail('unknown mechanism ' + mech);
if (n < 1) fail('N must be >= 1');

const schedule = mech === 'immediate' ? setImmediate : queueMicrotask;
let counter = 0;
let t0 = 0;
let rss0 = 0;

function finish() {
  const t1 = now();
  const rss1 = maxrssKB();
  const counterAtEnd = counter;
  // Let anything still queued (a bug) run before checking the count again.
  setImmediate(() => {
    if (counterAtEnd !== n || counter !== n) {
      fail(`counter = ${counterAtEnd} when the clock stopped (${counter} later), want ${n}`);
    }
    const elapsed = t1 - t0;
    const name = mech === 'immediate' ? 'setImmediate' : 'queueMicrotask';
    emit({
      workload: 'W1', peer: `node ${name} [${variant}]`, variant, n,
      elapsed_s: elapsed, callbacks_per_s: n / elapsed,
      peak_rss_kb: rss1, rss_delta_kb: rss1 - rss0,
    });
  });
}

function chain() {
  counter++;
  if (counter < n) schedule(chain);
  else finish();
}

function upfront() {
  counter++;
  if (counter === n) finish();
}

rss0 = maxrssKB();
t0 = now();
if (variant === 'chain') {
  schedule(chain);
} else {
  for (let i = 0; i < n; i++) schedule(upfront);
}

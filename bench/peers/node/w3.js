'use strict';
// W3 timers (docs/workloads.md): setTimeout N timers, clearTimeout the odd ones,
// fire the rest.
//
// Usage: node w3.js real N SEED
//
// Delays come from the LCG in docs/workloads.md, generated before timing (Node
// clamps a 0 ms delay to 1 ms). Timed: t0, schedule all; t1, clear i = 1, 3,
// 5, ...; t2, until the callback that brings the counter to ceil(N/2); t3.
// Check: exactly ceil(N/2) callbacks ran and no cleared one: after t3
// (outside the interval) the program waits until every timer's deadline has
// passed and checks the counter again.
const { now, maxrssKB, cpuSeconds, fail, emit, arg, intArg, lcgDelaysMs } = require('./common');

const clock = arg(0, 'real');
const n = intArg(1, 1000000);
const seed = intArg(2, 12345);
if (clock !== 'real') fail('node has the real clock only (got ' + clock + ')');

const delays = lcgDelaysMs(n, seed);
const expected = Math.ceil(n / 2);
const handles = new Array(n);
let counter = 0;
let t0, t1, t2, c0, rss0, lastScheduled;

function cb() {
  counter++;
  if (counter === expected) done();
}

function done() {
  const t3 = now();
  const cpu = cpuSeconds() - c0;
  const rss1 = maxrssKB();
  const firedInTime = counter;
  // Every timer is due by lastScheduled + 999 ms; wait past that, then check.
  const wait = Math.max(0, Math.ceil((lastScheduled + 1.01 - now()) * 1000));
  setTimeout(() => {
    if (firedInTime !== expected || counter !== expected) {
      fail(`${firedInTime} callbacks ran (${counter} after the drain), want exactly ${expected}`);
    }
    emit({
      workload: 'W3', peer: 'node setTimeout/clearTimeout', clock, n, seed,
      elapsed_s: t3 - t0, timers_per_s: n / (t3 - t0),
      schedule_s: t1 - t0, cancel_s: t2 - t1, fire_s: t3 - t2,
      cpu_s: cpu, timers_per_cpu_s: n / cpu, fired: counter,
      peak_rss_kb: rss1, rss_delta_kb: rss1 - rss0,
    });
  }, wait);
}

rss0 = maxrssKB();
c0 = cpuSeconds();
t0 = now();
for (let i = 0; i < n; i++) handles[i] = setTimeout(cb, delays[i]);
lastScheduled = now();
t1 = lastScheduled;
for (let i = 1; i < n; i += 2) clearTimeout(handles[i]);
t2 = now();
if (expected === 0) done();

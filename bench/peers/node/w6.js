'use strict';
// W6 subprocess (docs/workloads.md): spawn and reap N x /usr/bin/true, C at a time.
//
// Usage: node w6.js N C
//
// C workers share a job counter; each spawns
// child_process.spawn('/usr/bin/true', [], {stdio: 'ignore'}), waits for
// 'exit' and checks the exit code is 0. Timed from before the workers start
// until all have finished. Check: N children ran, every one exited 0.
const { spawn } = require('child_process');
const { now, maxrssKB, fail, emit, intArg } = require('./common');

const n = intArg(0, 500);
const c = intArg(1, 10);

function runTrue() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/true', [], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve(signal === null ? code : signal));
  });
}

async function main() {
  let next = 0;
  let done = 0;
  const bad = [];
  async function worker() {
    while (next < n) {
      const job = next++;
      const rc = await runTrue();
      if (rc !== 0) bad.push([job, rc]);
      done++;
    }
  }
  const t0 = now();
  const workers = [];
  for (let i = 0; i < c; i++) workers.push(worker());
  await Promise.all(workers);
  const t1 = now();
  if (done !== n || bad.length > 0) {
    fail(`${done} of ${n} children reaped; non-zero exits: ${JSON.stringify(bad.slice(0, 5))}`);
  }
  emit({
    workload: 'W6', peer: 'node child_process.spawn', n, c,
    elapsed_s: t1 - t0, spawns_per_s: n / (t1 - t0), peak_rss_kb: maxrssKB(),
  });
}

main().catch((e) => fail(String(e)));

// Command w6 is our W6 (spawn and reap) from docs/workloads.md: N processes of
// /usr/bin/true with stdin, stdout and stderr on /dev/null, C at a time. C
// worker tasks share a job counter; each takes the next job, spawns,
// waits for the exit and checks the status is 0; at the end the count of
// reaped children must be N, as the peers check.
//
// Usage: w6 N C
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/subprocess"
	"github.com/aio-go/aio/task"
)

const program = "/usr/bin/true"

func main() {
	n := report.IntArg(0, 500)
	c := report.IntArg(1, 10)
	var elapsed float64
	reaped := 0 // children whose exit status Wait returned, counted as the peers do
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		start := time.Now()
		next := 0
		workers := make([]eventloop.Waitable, c)
		for w := range workers {
			workers[w] = eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
				for next < n { // one loop, one goroutine at a time: no lock needed
					next++
					p, err := subprocess.Exec(ctx, program, nil,
						subprocess.WithStdin(subprocess.DevNull),
						subprocess.WithStdout(subprocess.DevNull),
						subprocess.WithStderr(subprocess.DevNull))
					if err != nil {
						return struct{}{}, err
					}
					rc, err := p.Wait(ctx)
					if err != nil {
						return struct{}{}, err
					}
					if rc != 0 {
						return struct{}{}, fmt.Errorf("%s exited with %d", program, rc)
					}
					if _, ok := p.ReturnCode(); ok {
						reaped++
					}
				}
				return struct{}{}, nil
			})
		}
		if err := task.Gather(ctx, workers...); err != nil {
			return struct{}{}, err
		}
		elapsed = time.Since(start).Seconds()
		return struct{}{}, nil
	})
	if err != nil {
		report.Fail("%v", err)
	}
	if reaped != n {
		report.Fail("%d of %d children reaped", reaped, n)
	}
	report.Emit(map[string]any{
		"workload": "W6", "peer": "aio", "n": n, "c": c, "elapsed_s": elapsed,
		"spawns_per_s": float64(n) / elapsed, "peak_rss_kb": report.MaxRSSKB(),
	})
}

// Command w4 is our W4 (ping-pong) from docs/workloads.md: two tasks and two
// unbounded FIFO queues. A does N times: ab.PutNowait(v+1); v = ba.Get().
// B does N times: v = ab.Get(); ba.PutNowait(v+1). Every Get waits (the
// queue is empty when it is called), so each round trip is two wake-ups
// through the loop's ready queue.
//
// Timed from before the tasks are created until both have finished
// (gathered). Check: A's final token == 2N.
//
// Usage: w4 N
package main

import (
	"context"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

func main() {
	n := report.IntArg(0, 1_000_000)
	var elapsed float64
	var rssBefore, rssAfter int64
	final, err := task.Run(func(ctx context.Context) (int, error) {
		rssBefore = report.MaxRSSKB()
		start := time.Now()
		ab, ba := queue.NewQueue[int](0), queue.NewQueue[int](0)
		a := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			v := 0
			for range n {
				if err := ab.PutNowait(v + 1); err != nil {
					return v, err
				}
				var err error
				if v, err = ba.Get(ctx); err != nil {
					return v, err
				}
			}
			return v, nil
		})
		b := task.Go(ctx, func(ctx context.Context) error {
			for range n {
				v, err := ab.Get(ctx)
				if err != nil {
					return err
				}
				if err := ba.PutNowait(v + 1); err != nil {
					return err
				}
			}
			return nil
		})
		if err := task.Gather(ctx, a, b); err != nil {
			return 0, err
		}
		elapsed = time.Since(start).Seconds()
		rssAfter = report.MaxRSSKB()
		return a.Result()
	})
	if err != nil {
		report.Fail("%v", err)
	}
	if final != 2*n {
		report.Fail("final token = %d, want %d", final, 2*n)
	}
	report.Emit(map[string]any{
		"workload": "W4", "peer": "aio", "n": n, "elapsed_s": elapsed,
		"roundtrips_per_s": float64(n) / elapsed, "peak_rss_kb": rssAfter,
		"rss_delta_kb": rssAfter - rssBefore,
	})
}

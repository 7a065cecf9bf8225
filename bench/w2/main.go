// Command w2 is our W2 (tasks) from docs/workloads.md: spawn N tasks that each
// yield once (Sleep(ctx, 0)) and return their index, gather them, sum.
//
// Usage: w2 N
package main

import (
	"context"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/task"
)

func main() {
	n := report.IntArg(0, 100_000)
	var elapsed float64
	var rssBefore, rssAfter int64
	sum, err := task.Run(func(ctx context.Context) (int, error) {
		rssBefore = report.MaxRSSKB()
		start := time.Now()
		tasks := make([]eventloop.Awaitable[int], n)
		for i := 0; i < n; i++ {
			tasks[i] = eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := eventloop.Sleep(ctx, 0); err != nil {
					return 0, err
				}
				return i, nil
			})
		}
		results, err := task.GatherResults(ctx, tasks...)
		if err != nil {
			return 0, err
		}
		sum := 0
		for _, v := range results {
			sum += v
		}
		elapsed = time.Since(start).Seconds()
		rssAfter = report.MaxRSSKB()
		return sum, nil
	})
	if err != nil {
		report.Fail("%v", err)
	}
	if want := n * (n - 1) / 2; sum != want {
		report.Fail("sum = %d, want %d", sum, want)
	}
	report.Emit(map[string]any{
		"workload": "W2", "peer": "aio", "n": n, "elapsed_s": elapsed,
		"tasks_per_s": float64(n) / elapsed, "peak_rss_kb": rssAfter,
		"rss_delta_kb": rssAfter - rssBefore,
	})
}

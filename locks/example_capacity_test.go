package locks_test

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

func ExampleCapacityLimiter() {
	// Trio's CapacityLimiter bounding blocking calls: however many tasks
	// call ToThread, at most two of the calls run at once.
	task.Run(func(ctx context.Context) (struct{}, error) {
		limit, _ := locks.NewCapacityLimiter(2)
		var running, peak atomic.Int32
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for range 10 {
				g.Go(func(ctx context.Context) error {
					_, err := task.ToThread(ctx, func(context.Context) (int, error) {
						n := running.Add(1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						running.Add(-1)
						return 0, nil
					}, task.WithLimiter(limit))
					return err
				})
			}
			return nil
		})
		fmt.Println("never more than 2 at once:", peak.Load() <= 2, err)
		fmt.Printf("%+v\n", limit.Stats())
		return struct{}{}, nil
	})
	// Output:
	// never more than 2 at once: true <nil>
	// {Total:2 Borrowed:0 Borrowers:0 Waiting:0}
}

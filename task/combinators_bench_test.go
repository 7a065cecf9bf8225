package task_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// spawnSleepers spawns n tasks that each yield once (Sleep(0)).
func spawnSleepers(ctx context.Context, n int) []eventloop.Waitable {
	ws := make([]eventloop.Waitable, n)
	for i := range ws {
		ws[i] = task.Go(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, 0) })
	}
	return ws
}

// benchPerChild runs combine over n freshly spawned tasks per op, timing
// only combine (the tasks run during it), and reports ns per child.
func benchPerChild(b *testing.B, combine func(ctx context.Context, ws []eventloop.Waitable) error) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			testkit.InTask(b, func(ctx context.Context) {
				var spent time.Duration
				for range b.N {
					b.StopTimer()
					ws := spawnSleepers(ctx, n)
					b.StartTimer()
					start := time.Now()
					if err := combine(ctx, ws); err != nil {
						b.Fatal(err)
					}
					spent += time.Since(start)
				}
				b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N*n), "ns/child")
			})
		})
	}
}

func BenchmarkWaitAll(b *testing.B) {
	benchPerChild(b, func(ctx context.Context, ws []eventloop.Waitable) error {
		_, pending, err := task.Wait(ctx, ws, task.AllCompleted, task.NoTimeout)
		if err == nil && len(pending) > 0 {
			err = fmt.Errorf("%d pending", len(pending))
		}
		return err
	})
}

func BenchmarkAsCompleted(b *testing.B) {
	benchPerChild(b, func(ctx context.Context, ws []eventloop.Waitable) error {
		n := 0
		for _, err := range task.AsCompleted(ctx, ws...) {
			if err != nil {
				return err
			}
			n++
		}
		if n != len(ws) {
			return fmt.Errorf("%d of %d yielded", n, len(ws))
		}
		return nil
	})
}

// BenchmarkWaitAllSpread is WaitAll with the children completing one per
// loop iteration (futures completed by a callback that queues itself):
// the case a scan of every child per completion made O(n²).
func BenchmarkWaitAllSpread(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			testkit.InTask(b, func(ctx context.Context) {
				l := eventloop.LoopOf(ctx)
				for range b.N {
					b.StopTimer()
					fs := make([]*eventloop.Future[int], n)
					ws := make([]eventloop.Waitable, n)
					for i := range fs {
						fs[i] = eventloop.NewFuture[int](l)
						ws[i] = fs[i]
					}
					next := 0
					var step func()
					step = func() {
						fs[next].SetResult(next)
						if next++; next < n {
							l.CallSoon(step)
						}
					}
					l.CallSoon(step)
					b.StartTimer()
					if _, _, err := task.Wait(ctx, ws, task.AllCompleted, task.NoTimeout); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/child")
			})
		})
	}
}

// benchFutures runs combine over n pending futures per op, all completed
// by one callback in the next iteration: the combinator's own cost per
// child, without tasks running.
func benchFutures(b *testing.B, combine func(ctx context.Context, ws []eventloop.Waitable) error) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			testkit.InTask(b, func(ctx context.Context) {
				b.ReportAllocs()
				for range b.N {
					b.StopTimer()
					ws := pendingFutures(ctx, n)
					b.StartTimer()
					if err := combine(ctx, ws); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/child")
			})
		})
	}
}

func BenchmarkWaitAllFutures(b *testing.B) {
	benchFutures(b, func(ctx context.Context, ws []eventloop.Waitable) error {
		_, _, err := task.Wait(ctx, ws, task.AllCompleted, task.NoTimeout)
		return err
	})
}

func BenchmarkAsCompletedFutures(b *testing.B) {
	benchFutures(b, func(ctx context.Context, ws []eventloop.Waitable) error {
		for _, err := range task.AsCompleted(ctx, ws...) {
			if err != nil {
				return err
			}
		}
		return nil
	})
}

package locks_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Randomized contention with cancellations, for a Lock and for Semaphores
// of 1 to 3 permits: never more holders than permits; every task that was
// not cancelled gets in; tasks that had to wait get in in the order they
// started waiting; no permit is lost (all are free at the end).
func TestContentionWithCancellations(t *testing.T) {
	for seed := range uint64(40) {
		for permits := 1; permits <= 3; permits++ {
			t.Run(fmt.Sprintf("seed%d/permits%d", seed, permits), func(t *testing.T) {
				contend(t, seed, permits)
			})
		}
	}
}

type acquirer interface {
	Acquire(ctx context.Context) error
}

func contend(t *testing.T, seed uint64, permits int) {
	r := rand.New(rand.NewPCG(seed, uint64(permits)))
	run(t, func(ctx context.Context) error {
		var acq acquirer
		var release func()
		var free func() int
		if permits == 1 && seed%2 == 0 {
			var m locks.Lock
			acq, release = &m, func() { m.Release() }
			free = func() int {
				if m.Locked() {
					return 0
				}
				return 1
			}
		} else {
			s, _ := locks.NewSemaphore(permits)
			acq, release, free = s, s.Release, s.Value
		}
		holders, most := 0, 0
		var waitOrder, grantOrder []int
		const n = 12
		tasks := make([]*eventloop.Task[struct{}], n)
		for i := range n {
			tasks[i] = task.Go(ctx, func(ctx context.Context) error {
				if err := eventloop.Sleep(ctx, 0); err != nil { // arrive a little later
					return err
				}
				waited := free() == 0
				if waited {
					waitOrder = append(waitOrder, i)
				}
				if err := acq.Acquire(ctx); err != nil {
					return err
				}
				if waited {
					grantOrder = append(grantOrder, i)
				}
				holders++
				most = max(most, holders)
				defer func() { holders--; release() }()
				return yield(ctx, r.IntN(3)) // hold across awaits; may be cancelled here
			})
		}
		cancelled := map[int]bool{}
		for range 3 * n {
			if err := yield(ctx, 1); err != nil {
				return err
			}
			if r.IntN(4) == 0 {
				i := r.IntN(n)
				if tasks[i].Cancel() {
					cancelled[i] = true
				}
			}
		}
		for _, tk := range tasks {
			if err := task.Gather(ctx, tk); err != nil && !isCancelled(err) {
				t.Errorf("%v: %v", tk, err)
			}
		}
		if most > permits {
			t.Errorf("%d holders at once, %d permits", most, permits)
		}
		for i, tk := range tasks {
			if !cancelled[i] && tk.Err() != nil {
				t.Errorf("task %d was not cancelled but failed: %v", i, tk.Err())
			}
		}
		// Granted waiters appear in waitOrder in the same relative order.
		pos := map[int]int{}
		for k, i := range waitOrder {
			pos[i] = k
		}
		for k := 1; k < len(grantOrder); k++ {
			if pos[grantOrder[k-1]] > pos[grantOrder[k]] {
				t.Errorf("grant order %v does not follow wait order %v", grantOrder, waitOrder)
				break
			}
		}
		want(t, "free at the end", free(), permits)
		return nil
	})
}

package queue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// Goroutines put, a task gets, through a small bound: every item arrives
// once, each producer's items in order, and the loop keeps stepping other
// tasks meanwhile.
func TestThreadsafeGoroutinesToTask(t *testing.T) {
	const producers, each = 4, 200
	q := queue.NewThreadsafe[[2]int](2)
	var wg sync.WaitGroup
	run(t, func(ctx context.Context) error {
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := q.Sync().Put(context.Background(), [2]int{p, i}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		steps := 0
		other := task.Go(ctx, func(ctx context.Context) error {
			for steps < 100 {
				steps++
				if err := eventloop.Sleep(ctx, 0); err != nil {
					return err
				}
			}
			return nil
		})
		next := make([]int, producers)
		for range producers * each {
			v, err := q.Async().Get(ctx)
			if err != nil {
				return err
			}
			if v[1] != next[v[0]] {
				t.Errorf("producer %d: got item %d, want %d", v[0], v[1], next[v[0]])
			}
			next[v[0]] = v[1] + 1
		}
		want(t, "steps of the other task", steps, 100)
		return eventloop.WaitDone(ctx, other)
	})
	wg.Wait()
	want(t, "left", q.Qsize(), 0)
}

// A task puts, goroutines get.
func TestThreadsafeTaskToGoroutines(t *testing.T) {
	const n = 500
	q := queue.NewThreadsafe[int](1)
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				v, err := q.Sync().Get(context.Background())
				if errors.Is(err, queue.ErrQueueShutdown) {
					return
				}
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
		}()
	}
	run(t, func(ctx context.Context) error {
		for i := range n {
			if err := q.Async().Put(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
	for q.Qsize() > 0 {
		time.Sleep(time.Millisecond)
	}
	q.Shutdown(false)
	wg.Wait()
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("item %d seen %d times", i, seen[i])
		}
	}
}

// A cancelled Get takes nothing: the item put afterwards stays, and a
// cancelled Put adds nothing.
func TestThreadsafeCancel(t *testing.T) {
	q := queue.NewThreadsafe[int](1)
	run(t, func(ctx context.Context) error {
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := q.Async().Get(ctx)
			return err
		})
		if !testkit.IsTimeout(err) {
			t.Errorf("Get under an expired Timeout = %v", err)
		}
		if err := q.Sync().PutNowait(1); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
		want(t, "items after the cancelled Get", q.Qsize(), 1)
		err = task.Timeout(ctx, time.Second, func(ctx context.Context) error { return q.Async().Put(ctx, 2) })
		if !testkit.IsTimeout(err) {
			t.Errorf("Put into a full queue under an expired Timeout = %v", err)
		}
		v, err := q.Async().Get(ctx)
		want(t, "the one item", v, 1)
		want(t, "nothing else", q.Qsize(), 0)
		return err
	})
	// The goroutine end honours its ctx.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := q.Sync().Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sync Get past its deadline = %v", err)
	}
}

// A woken getter that gives up passes the wake-up on: with two getters
// waiting and one item, cancelling the first right after the put still
// delivers the item to the second.
func TestThreadsafeWakeUpPassedOn(t *testing.T) {
	q := queue.NewThreadsafe[int](0)
	run(t, func(ctx context.Context) error {
		first := eventloop.Spawn(ctx, q.Async().Get)
		second := eventloop.Spawn(ctx, q.Async().Get)
		for q.Waiting() < 2 {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		if err := q.Sync().PutNowait(5); err != nil {
			return err
		}
		first.Cancel()
		v1, err1 := eventloop.Await(context.WithoutCancel(ctx), first)
		if err1 == nil {
			second.Cancel() // the first got it before the cancellation reached it
		}
		v2, err2 := eventloop.Await(context.WithoutCancel(ctx), second)
		switch {
		case err1 == nil && v1 == 5 && testkit.IsCancelled(err2):
		case testkit.IsCancelled(err1) && err2 == nil && v2 == 5:
		default:
			t.Errorf("first = %d, %v; second = %d, %v", v1, err1, v2, err2)
		}
		return nil
	})
}

func TestThreadsafeShutdown(t *testing.T) {
	q := queue.NewThreadsafe[int](1)
	run(t, func(ctx context.Context) error {
		getter := eventloop.Spawn(ctx, q.Async().Get)
		for q.Waiting() < 1 {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		go q.Shutdown(false)
		if _, err := eventloop.Await(ctx, getter); !errors.Is(err, queue.ErrQueueShutdown) {
			t.Errorf("Get woken by Shutdown = %v", err)
		}
		if err := q.Async().Put(ctx, 1); !errors.Is(err, queue.ErrQueueShutdown) {
			t.Errorf("Put after Shutdown = %v", err)
		}
		return nil
	})
}

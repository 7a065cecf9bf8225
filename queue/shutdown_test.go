package queue_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

func isShutdown(err error) bool { return errors.Is(err, queue.ErrQueueShutdown) }

// assertAllShutdown checks that every put and get fails with
// ErrQueueShutdown.
func assertAllShutdown(t *testing.T, ctx context.Context, q anyQueue[int]) {
	t.Helper()
	if err := q.Put(ctx, 9); !isShutdown(err) {
		t.Errorf("Put: %v", err)
	}
	if err := q.PutNowait(9); !isShutdown(err) {
		t.Errorf("PutNowait: %v", err)
	}
	if _, err := q.Get(ctx); !isShutdown(err) {
		t.Errorf("Get: %v", err)
	}
	if _, err := q.GetNowait(); !isShutdown(err) {
		t.Errorf("GetNowait: %v", err)
	}
}

// Ported from _QueueShutdownTestMixin.test_shutdown_empty.
func TestShutdownEmpty(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			g := spawnGet(ctx, q)
			yield(ctx, 1)
			q.Shutdown(false)
			want(t, "qsize", q.Qsize(), 0)
			if err := q.Join(ctx); err != nil {
				t.Errorf("Join: %v", err)
			}
			yield(ctx, 1)
			want(t, "getter done", g.Done(), true)
			if _, err := g.Result(); !isShutdown(err) {
				t.Errorf("waiting Get: %v", err)
			}
			assertAllShutdown(t, ctx, q)
			want(t, "IsShutdown", q.IsShutdown(), true)
			return nil
		})
	})
}

// Ported from test_shutdown_nonempty: a waiting Put fails, the items left
// can still be got, then gets fail; Join waits for TaskDone.
func TestShutdownNonempty(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(1)
			q.PutNowait(1)
			join := task.Go(ctx, q.Join)
			put := spawnPut(ctx, q, 2)
			yield(ctx, 1)
			want(t, "put waits", put.Done(), false)
			q.Shutdown(false)
			want(t, "qsize", q.Qsize(), 1)
			yield(ctx, 1)
			want(t, "put done", put.Done(), true)
			if err := put.Err(); !isShutdown(err) {
				t.Errorf("waiting Put: %v", err)
			}
			v, err := q.Get(ctx)
			if v != 1 || err != nil {
				t.Errorf("Get after shutdown = %d, %v; want the item left", v, err)
			}
			yield(ctx, 1)
			want(t, "join waits", join.Done(), false)
			assertAllShutdown(t, ctx, q)
			q.TaskDone()
			yield(ctx, 1)
			want(t, "join done", join.Done(), true)
			if err := q.TaskDone(); !errors.Is(err, queue.ErrTaskDoneTooMany) {
				t.Errorf("TaskDone: %v", err)
			}
			return join.Err()
		})
	})
}

// Ported from test_shutdown_immediate and
// test_shutdown_immediate_with_unfinished.
func TestShutdownImmediate(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			q := newQ(0)
			q.PutNowait(1)
			join := task.Go(ctx, q.Join)
			q.Shutdown(true)
			want(t, "qsize", q.Qsize(), 0)
			yield(ctx, 1)
			want(t, "join done", join.Done(), true)
			assertAllShutdown(t, ctx, q)
			if err := q.TaskDone(); !errors.Is(err, queue.ErrTaskDoneTooMany) {
				t.Errorf("TaskDone: %v", err)
			}

			q = newQ(0)
			q.PutNowait(1)
			q.PutNowait(2)
			join = task.Go(ctx, q.Join)
			q.Get(ctx)
			q.Shutdown(true)
			want(t, "qsize", q.Qsize(), 0)
			yield(ctx, 1)
			want(t, "join waits for the item got", join.Done(), false)
			assertAllShutdown(t, ctx, q)
			if err := q.TaskDone(); err != nil {
				t.Errorf("TaskDone: %v", err)
			}
			if err := q.TaskDone(); !errors.Is(err, queue.ErrTaskDoneTooMany) {
				t.Errorf("second TaskDone: %v", err)
			}
			yield(ctx, 1)
			want(t, "join done", join.Done(), true)
			return join.Err()
		})
	})
}

// Shutdown wakes every blocked Put and Get; an item already reserved for
// a woken getter is still delivered after Shutdown(false) and dropped by
// Shutdown(true).
func TestShutdownWakesEveryWaiter(t *testing.T) {
	forEachKind(t, func(t *testing.T, newQ func(int) anyQueue[int]) {
		run(t, func(ctx context.Context) error {
			empty := newQ(0)
			var gets []eventloop.Waitable
			for range 3 {
				gets = append(gets, spawnGet(ctx, empty))
			}
			full := newQ(1)
			full.PutNowait(0)
			var puts []eventloop.Waitable
			for i := range 3 {
				puts = append(puts, spawnPut(ctx, full, i))
			}
			yield(ctx, 1)
			empty.Shutdown(false)
			full.Shutdown(false)
			errs, _ := task.GatherAll(ctx, append(gets, puts...)...)
			for i, err := range errs {
				if !isShutdown(err) {
					t.Errorf("waiter %d: %v, want ErrQueueShutdown", i, err)
				}
			}

			for _, immediate := range []bool{false, true} {
				q := newQ(0)
				g := spawnGet(ctx, q)
				yield(ctx, 1)
				q.PutNowait(5) // reserved for g
				q.Shutdown(immediate)
				v, err := eventloop.Await[int](ctx, g)
				if immediate {
					if !isShutdown(err) {
						t.Errorf("reserved item after Shutdown(true): %d, %v", v, err)
					}
					want(t, "unfinished", q.Stats().Unfinished, 0)
				} else if v != 5 || err != nil {
					t.Errorf("reserved item after Shutdown(false): %d, %v", v, err)
				}
			}

			// Room reserved for a woken putter: the put fails after
			// Shutdown, as in Python 3.13.
			b := newQ(1)
			b.PutNowait(1)
			p := spawnPut(ctx, b, 2)
			yield(ctx, 1)
			b.GetNowait()
			b.Shutdown(false)
			if err := task.Gather(ctx, p); !isShutdown(err) {
				t.Errorf("woken putter after Shutdown: %v", err)
			}
			want(t, "no item", b.Qsize(), 0)
			return nil
		})
	})
}

// The iterator drains a queue until it is shut down and empty.
func TestAllDrainsUntilShutdown(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewQueue[int](2)
		producer := task.Go(ctx, func(ctx context.Context) error {
			defer q.Shutdown(false)
			for i := range 5 {
				if err := q.Put(ctx, i); err != nil {
					return err
				}
			}
			return nil
		})
		var got []int
		for v, err := range q.All(ctx) {
			if err != nil {
				return err
			}
			got = append(got, v)
			q.TaskDone()
		}
		want(t, "got", got, []int{0, 1, 2, 3, 4})
		return task.Gather(ctx, producer)
	})
}

func TestAllBreakAndCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewLifoQueue[int](0)
		for i := range 3 {
			q.PutNowait(i)
		}
		for v := range q.All(ctx) {
			want(t, "first", v, 2)
			break
		}
		want(t, "left", q.Qsize(), 2)

		p := queue.NewPriorityQueue[int](0)
		consumer := eventloop.Spawn(ctx, func(ctx context.Context) ([]int, error) {
			var got []int
			for v, err := range p.All(ctx) {
				if err != nil {
					return got, err
				}
				got = append(got, v)
			}
			return got, nil
		})
		p.PutNowait(3)
		p.PutNowait(1)
		yield(ctx, 2)
		consumer.Cancel()
		got, err := eventloop.Await[[]int](ctx, consumer)
		if !isCancelled(err) {
			t.Errorf("consumer: %v", err)
		}
		want(t, "consumed before cancel", got, []int{1, 3})
		return nil
	})
}

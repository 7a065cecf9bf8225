package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// Trio's nursery.cancel_scope.cancel(): the body and every child are
// cancelled and the group returns nil.
func TestTaskGroupCancel(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for i := range 3 {
				g.Go(func(ctx context.Context) error {
					err := eventloop.Sleep(ctx, time.Hour)
					tr.add("child %d: cancelled %v", i, testkit.IsCancelled(err))
					return err
				})
			}
			g.Go(func(ctx context.Context) error {
				if err := eventloop.Sleep(ctx, time.Second); err != nil {
					return err
				}
				g.Cancel()
				return nil
			})
			err := eventloop.Sleep(ctx, time.Hour)
			tr.add("body: cancelled %v", testkit.IsCancelled(err))
			return err // the body's cancellation coming back is not an error either
		})
	})
	if err != nil {
		t.Errorf("Group after Cancel = %v, want nil", err)
	}
	testkit.Want(t, "events", len(tr.events), 4)
	for _, e := range tr.events {
		if e[len(e)-4:] != "true" {
			t.Errorf("event %q: not a cancellation", e)
		}
	}
}

// Cancel does not hide a failure.
func TestTaskGroupCancelKeepsFailures(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(context.WithoutCancel(ctx), time.Second) // fails after the Cancel
				return errA
			})
			if err := eventloop.Sleep(ctx, 0); err != nil { // let the child start
				return err
			}
			g.Cancel()
			if tk := g.Go(func(context.Context) error { return nil }); tk != nil {
				_ = tk // refused: a task failing with ErrGroupClosed, awaited below
				if _, err := eventloop.Await(context.WithoutCancel(ctx), tk); !errors.Is(err, task.ErrGroupClosed) {
					t.Errorf("Go after Cancel: %v, want ErrGroupClosed", err)
				}
			}
			return nil
		})
	})
	if !errors.Is(err, errA) {
		t.Errorf("Group = %v, want errA", err)
	}
}

// Trio's test_nursery_start: the value comes back once ready is called,
// and the child goes on running in the group.
func TestStartReady(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			port, err := task.Start(ctx, g, func(ctx context.Context, ready func(int)) error {
				if err := eventloop.Sleep(ctx, time.Second); err != nil {
					return err
				}
				ready(8080)
				ready(9090) // ignored
				tr.add("child after ready")
				if err := eventloop.Sleep(ctx, time.Second); err != nil {
					return err
				}
				tr.add("child done")
				return nil
			})
			tr.add("Start = %d, %v", port, err)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Want(t, "order", tr.events, []string{"child after ready", "Start = 8080, <nil>", "child done"})
}

// An error before ready is Start's, not the group's: siblings go on.
func TestStartFailsBeforeReady(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			sibling := g.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Minute) })
			_, err := task.Start(ctx, g, func(ctx context.Context, ready func(string)) error { return errA })
			if !errors.Is(err, errA) {
				t.Errorf("Start = %v, want errA", err)
			}
			_, err = task.Start(ctx, g, func(ctx context.Context, ready func(string)) error { return nil })
			if !errors.Is(err, task.ErrNotStarted) {
				t.Errorf("Start of a child that never calls ready = %v, want ErrNotStarted", err)
			}
			if _, err := eventloop.Await(ctx, sibling); err != nil {
				t.Errorf("sibling: %v (the group was cancelled)", err)
			}
			return nil
		})
	})
	if err != nil {
		t.Errorf("Group = %v, want nil", err)
	}
}

// Cancelled while waiting for ready: the child is cancelled and has ended
// when Start returns.
func TestStartCancelled(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			ended := false
			err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
				_, err := task.Start(ctx, g, func(ctx context.Context, ready func(int)) error {
					defer func() { ended = true }()
					return eventloop.Sleep(ctx, time.Hour)
				})
				return err
			})
			if !testkit.IsTimeout(err) {
				t.Errorf("Start under an expired Timeout = %v", err)
			}
			testkit.Want(t, "child ended when Start returned", ended, true)
			return nil
		})
	})
	if err != nil {
		t.Errorf("Group = %v", err)
	}
}

// errgroup's SetLimit: never more than the limit run, children spawned
// beyond it run in the order they were spawned, GoWait holds the spawner
// back and TryGo refuses.
func TestTaskGroupSetLimit(t *testing.T) {
	const limit, n = 3, 10
	var order []int
	running, peak := 0, 0
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.SetLimit(limit)
			work := func(i int) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					order = append(order, i)
					running++
					peak = max(peak, running)
					defer func() { running-- }()
					return eventloop.Sleep(ctx, time.Duration(1+i%3)*time.Second)
				}
			}
			for i := range n / 2 {
				g.Go(work(i))
			}
			if _, ok := g.TryGo(work(-1)); ok {
				t.Error("TryGo started a child beyond the limit")
			}
			for i := n / 2; i < n; i++ {
				if _, err := g.GoWait(ctx, work(i)); err != nil {
					return err
				}
				if running > limit {
					t.Errorf("after GoWait %d: %d running", i, running)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Want(t, "peak", peak, limit)
	testkit.Want(t, "children run", len(order), n)
	for i := range n / 2 {
		if order[i] != i {
			t.Errorf("start order %v: Go children out of order", order)
			break
		}
	}
}

// A GoWait cancelled while it waits for room starts nothing, and the room
// freed goes to the next waiter.
func TestTaskGroupGoWaitCancelled(t *testing.T) {
	var ran []string
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.SetLimit(1)
			g.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Second) })
			waiter := func(name string) *eventloop.Task[struct{}] {
				return task.Go(ctx, func(ctx context.Context) error {
					_, err := g.GoWait(ctx, func(context.Context) error { ran = append(ran, name); return nil })
					return err
				})
			}
			first, second := waiter("first"), waiter("second")
			if err := testkit.Yield(ctx, 2); err != nil {
				return err
			}
			first.Cancel()
			if _, err := eventloop.Await(context.WithoutCancel(ctx), first); !testkit.IsCancelled(err) {
				t.Errorf("cancelled GoWait = %v", err)
			}
			_, err := eventloop.Await(ctx, second)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Want(t, "ran", ran, []string{"second"})
}

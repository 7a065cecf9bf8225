package task_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_taskgroups.py. Differences and cases not ported:
//   - Level-triggered cancellation (docs/design.md D4): when the owner of a group
//     is cancelled, Group's error always includes ErrCancelled, also when a
//     child or the body failed as well (asyncio raises only the
//     ExceptionGroup there, test_taskgroup_18); there is no uncancel()
//     bookkeeping to check (test_taskgroup_cancel_*_uncancel*).
//   - test_taskgroup_20/21 (KeyboardInterrupt, BaseException): Go has no
//     base exceptions; a panic in a child is an error like any other
//     (TestGroupChildPanic).
//   - test_taskgroup_23 (len(g._tasks)): no public list of children.
//   - already-entered / not-entered checks: Group is a function call.

var errZero = errors.New("division by zero")

func TestGroupResults(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var t1, t2, t3 *eventloop.Task[int]
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			t1 = task.SpawnIn(g, sleeper(100*time.Millisecond, 42))
			if err := eventloop.Sleep(ctx, 150*time.Millisecond); err != nil { // test_taskgroup_02
				return err
			}
			t2 = task.SpawnIn(g, sleeper(200*time.Millisecond, 11), eventloop.WithName("yolo"))
			t3 = task.SpawnIn(g, sleeper(time.Second, 3))
			t3.Cancel() // test_taskgroup_03: a child cancelled on its own is no failure
			return nil
		})
		if err != nil {
			return fmt.Errorf("Group = %v", err)
		}
		v1, _ := t1.Result()
		v2, _ := t2.Result()
		if v1 != 42 || v2 != 11 || !t3.Cancelled() || t2.Name() != "yolo" {
			t.Errorf("t1=%d t2=%d t3 cancelled=%v t2 name=%q", v1, v2, t3.Cancelled(), t2.Name())
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 350*time.Millisecond {
			t.Errorf("Group returned at %v, want 350ms", now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_taskgroup_04 and test_cancel_children_on_child_error.
func TestGroupFirstFailureCancelsSiblingsAndBody(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		var sibling *eventloop.Task[struct{}]
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, 100*time.Millisecond)
				tr.at(ctx, "child fails")
				return errZero
			})
			sibling = g.Go(func(ctx context.Context) error {
				err := eventloop.Sleep(ctx, 5*time.Second)
				tr.at(ctx, "sibling: %v", err)
				eventloop.Sleep(context.WithoutCancel(ctx), time.Second)
				tr.at(ctx, "sibling cleaned up")
				return err
			})
			err := eventloop.Sleep(ctx, 10*time.Second)
			tr.at(ctx, "body: %v", err)
			return err
		})
		tr.at(ctx, "Group: %v", err)
		if !errors.Is(err, errZero) || errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("Group = %v; want the child's error and no cancellation", err)
		}
		if !sibling.Cancelled() {
			t.Error("sibling not cancelled")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"100ms child fails",
		"100ms body: eventloop: cancelled",
		"100ms sibling: eventloop: cancelled",
		"1.1s sibling cleaned up",
		"1.1s Group: division by zero", // only after every child is done
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// Two children failing (the second while being cancelled: test_taskgroup_19)
// come back joined; a child that swallows its cancellation adds nothing.
func TestGroupJoinsEveryFailure(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var swallowed *eventloop.Task[struct{}]
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error { eventloop.Sleep(ctx, time.Second); return errA })
			g.Go(func(ctx context.Context) error { eventloop.Sleep(ctx, time.Hour); return errB })
			swallowed = g.Go(func(ctx context.Context) error { eventloop.Sleep(ctx, time.Hour); return nil })
			return nil
		})
		if !errors.Is(err, errA) || !errors.Is(err, errB) {
			t.Errorf("Group = %v; want both errors", err)
		}
		var joined interface{ Unwrap() []error }
		if !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
			t.Errorf("Group = %#v; want exactly two errors joined", err)
		}
		if swallowed.Cancelled() || swallowed.Err() != nil {
			t.Errorf("swallowing child: cancelled=%v err=%v", swallowed.Cancelled(), swallowed.Err())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGroupChildPanic(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var sibling *eventloop.Task[struct{}]
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error { eventloop.Sleep(ctx, time.Second); panic("boom") })
			sibling = g.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) })
			return nil
		})
		var pe *eventloop.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" || !sibling.Cancelled() {
			t.Errorf("Group = %v, sibling cancelled = %v", err, sibling.Cancelled())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_cancellation, test_taskgroup_07, test_taskgroup_17, test_taskgroup_22:
// cancelling the owner cancels the body and every child; Group waits for
// them and returns ErrCancelled.
func TestGroupOwnerCancelled(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		runner := task.Go(ctx, func(ctx context.Context) error {
			err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				for i := range 3 {
					g.Go(func(ctx context.Context) error {
						err := eventloop.Sleep(ctx, 5*time.Second)
						eventloop.Sleep(context.WithoutCancel(ctx), time.Duration(i+1)*time.Second)
						tr.at(ctx, "child %d: %v", i, err)
						return err
					})
				}
				err := eventloop.Sleep(ctx, 10*time.Second)
				tr.at(ctx, "body: %v", err)
				return err
			})
			tr.at(ctx, "Group: %v", err)
			if !isCancelled(err) {
				t.Errorf("Group = %v, want ErrCancelled", err)
			}
			return err
		})
		eventloop.Sleep(ctx, 100*time.Millisecond)
		runner.Cancel()
		if _, err := eventloop.Await(ctx, runner); !isCancelled(err) || !runner.Cancelled() {
			t.Errorf("runner = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"100ms body: eventloop: cancelled",
		"1.1s child 0: eventloop: cancelled",
		"2.1s child 1: eventloop: cancelled",
		"3.1s child 2: eventloop: cancelled",
		"3.1s Group: eventloop: cancelled",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

// test_taskgroup_15: the owner is cancelled while a child would fail later;
// the body cleans up for a while; the child is cancelled with the rest.
func TestGroupOwnerCancelledBeforeChildFails(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		runner := task.Go(ctx, func(ctx context.Context) error {
			return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				g.Go(func(ctx context.Context) error {
					if err := eventloop.Sleep(ctx, 300*time.Millisecond); err != nil {
						return err
					}
					return errZero
				})
				err := eventloop.Sleep(ctx, 10*time.Second)
				eventloop.Sleep(context.WithoutCancel(ctx), 500*time.Millisecond)
				return err
			})
		})
		eventloop.Sleep(ctx, 100*time.Millisecond)
		runner.Cancel()
		_, err := eventloop.Await(ctx, runner)
		if !isCancelled(err) || errors.Is(err, errZero) {
			t.Errorf("runner = %v, want only ErrCancelled", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_taskgroup_18: a body that turns its cancellation into an error.
func TestGroupBodyReplacesCancellation(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		runner := task.Go(ctx, func(ctx context.Context) error {
			return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				eventloop.Sleep(ctx, 10*time.Second)
				return errA
			})
		})
		eventloop.Sleep(ctx, 100*time.Millisecond)
		runner.Cancel()
		_, err := eventloop.Await(ctx, runner)
		if !errors.Is(err, errA) || !isCancelled(err) {
			t.Errorf("Group = %v, want errA and ErrCancelled", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_taskgroup_09, test_taskgroup_10: the body's error cancels the
// children.
func TestGroupBodyErrorCancelsChildren(t *testing.T) {
	for _, wait := range []time.Duration{0, 100 * time.Millisecond} {
		err := runErr(t, func(ctx context.Context) error {
			var t1, t2 *eventloop.Task[int]
			err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				t1 = task.SpawnIn(g, sleeper(time.Second, 42))
				t2 = task.SpawnIn(g, sleeper(2*time.Second, 11))
				if wait > 0 {
					eventloop.Sleep(ctx, wait)
				}
				return errZero
			})
			if !errors.Is(err, errZero) || errors.Is(err, eventloop.ErrCancelled) {
				t.Errorf("Group = %v", err)
			}
			if !t1.Cancelled() || !t2.Cancelled() {
				t.Errorf("children cancelled: %v %v", t1.Cancelled(), t2.Cancelled())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A body that returns a cancellation that is not the group's own (it
// awaited a future someone cancelled) ends the group like any body error,
// and the error is not lost.
func TestGroupBodyReturnsForeignCancellation(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var child *eventloop.Task[int]
		f := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		f.Cancel()
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			child = task.SpawnIn(g, sleeper(time.Hour, 1))
			_, err := eventloop.Await(ctx, eventloop.Awaitable[int](f))
			return err
		})
		if !isCancelled(err) {
			t.Errorf("Group = %v, want the body's ErrCancelled", err)
		}
		if !child.Cancelled() {
			t.Error("child not cancelled")
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 0 {
			t.Errorf("Group returned at %v: it waited for the child instead of cancelling it", now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_taskgroup_11, 12, 13, 14: nested groups.
func TestGroupNested(t *testing.T) {
	crashAfter := func(d time.Duration) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if err := eventloop.Sleep(ctx, d); err != nil {
				return err
			}
			return fmt.Errorf("crash after %v", d)
		}
	}
	t.Run("OuterChildFailsFirst", func(t *testing.T) {
		err := runErr(t, func(ctx context.Context) error {
			var innerErr error
			err := task.Group(ctx, func(ctx context.Context, g1 *task.TaskGroup) error {
				g1.Go(crashAfter(100 * time.Millisecond))
				innerErr = task.Group(ctx, func(ctx context.Context, g2 *task.TaskGroup) error {
					g2.Go(crashAfter(10 * time.Second))
					return nil
				})
				return innerErr
			})
			if err == nil || err.Error() != "crash after 100ms" {
				t.Errorf("outer = %v, want only the outer child's crash", err)
			}
			if !isCancelled(innerErr) {
				t.Errorf("inner = %v, want ErrCancelled", innerErr)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("InnerChildFailsFirst", func(t *testing.T) {
		err := runErr(t, func(ctx context.Context) error {
			var outerChild *eventloop.Task[struct{}]
			err := task.Group(ctx, func(ctx context.Context, g1 *task.TaskGroup) error {
				outerChild = g1.Go(crashAfter(10 * time.Second))
				return task.Group(ctx, func(ctx context.Context, g2 *task.TaskGroup) error {
					g2.Go(crashAfter(100 * time.Millisecond))
					return nil
				})
			})
			if err == nil || err.Error() != "crash after 100ms" || errors.Is(err, eventloop.ErrCancelled) {
				t.Errorf("outer = %v, want the inner group's failure", err)
			}
			if !outerChild.Cancelled() {
				t.Error("outer child not cancelled")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OwnerCancelled", func(t *testing.T) {
		err := runErr(t, func(ctx context.Context) error {
			runner := task.Go(ctx, func(ctx context.Context) error {
				return task.Group(ctx, func(ctx context.Context, g1 *task.TaskGroup) error {
					g1.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, 10*time.Second) })
					return task.Group(ctx, func(ctx context.Context, g2 *task.TaskGroup) error {
						for range 5 {
							g2.Go(crashAfter(time.Second))
						}
						return eventloop.Sleep(ctx, 10*time.Second)
					})
				})
			})
			eventloop.Sleep(ctx, 100*time.Millisecond)
			runner.Cancel()
			if _, err := eventloop.Await(ctx, runner); !isCancelled(err) || errors.Is(err, errZero) {
				t.Errorf("runner = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// test_taskgroup_24 and _25: children spawn more children into the group,
// also while the owner already waits in Group's exit.
func TestGroupChildrenSpawnChildren(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var ran []string
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				if err := eventloop.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
					g.Go(func(ctx context.Context) error {
						err := eventloop.Sleep(ctx, d)
						ran = append(ran, d.String())
						return err
					})
				}
				return nil
			})
			return nil
		})
		if err != nil || len(ran) != 2 || eventloop.LoopOf(ctx).Time() != 300*time.Millisecond {
			t.Errorf("Group = %v, ran %v, at %v", err, ran, eventloop.LoopOf(ctx).Time())
		}

		hydras := 0
		var hydra func(g *task.TaskGroup) func(ctx context.Context) error
		hydra = func(g *task.TaskGroup) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				hydras++
				if err := eventloop.Sleep(ctx, 10*time.Millisecond); err != nil {
					return err
				}
				g.Go(hydra(g))
				g.Go(hydra(g))
				return nil
			}
		}
		err = task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(hydra(g))
			g.Go(func(ctx context.Context) error {
				for hydras < 10 {
					if err := eventloop.Sleep(ctx, 15*time.Millisecond); err != nil {
						return err
					}
				}
				return errZero
			})
			return nil
		})
		if !errors.Is(err, errZero) || hydras < 10 {
			t.Errorf("hercules: Group = %v, hydras = %d", err, hydras)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Spawning into a group that is shutting down after a failure, or that
// has finished, gives a task failing with ErrGroupClosed; its body never
// runs.
func TestGroupSpawnWhenClosed(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		ran := false
		body := func(ctx context.Context) (int, error) { ran = true; return 1, nil }
		var late *eventloop.Task[int]
		var saved *task.TaskGroup
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			saved = g
			g.Go(func(ctx context.Context) error { return errA })
			eventloop.Sleep(ctx, time.Second) // cancelled by the failure
			late = task.SpawnIn(g, body)
			return nil
		})
		if !errors.Is(err, errA) {
			t.Errorf("Group = %v", err)
		}
		after := task.SpawnIn(saved, body)
		goAfter := saved.Go(func(ctx context.Context) error { ran = true; return nil })
		for name, tk := range map[string]eventloop.Waitable{"during shutdown": late, "after Wait": after, "Go after Wait": goAfter} {
			if err := task.Gather(ctx, tk); !errors.Is(err, task.ErrGroupClosed) {
				t.Errorf("spawn %s: %v, want ErrGroupClosed", name, err)
			}
		}
		if ran {
			t.Error("a body spawned into a closed group ran")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A group whose owner sits under a Timeout that expires: the group returns
// the timeout, not a pile of cancellations and child "failures".
func TestGroupUnderExpiredTimeout(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		var groupErr error
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			groupErr = task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				g.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) })
				g.Go(func(ctx context.Context) error { return eventloop.Sleep(ctx, time.Hour) })
				return eventloop.Sleep(ctx, time.Hour)
			})
			return groupErr
		})
		if !isTimeout(err) {
			t.Errorf("Timeout = %v", err)
		}
		var joined interface{ Unwrap() []error }
		if !isTimeout(groupErr) || errors.Is(groupErr, context.Canceled) ||
			(errors.As(groupErr, &joined) && len(joined.Unwrap()) != 1) {
			t.Errorf("Group = %q, want just ErrTimeout", groupErr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTaskGroupWaitAndMisuse(t *testing.T) {
	if err := task.Group(context.Background(), nil); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("Group without a loop = %v", err)
	}
	err := runErr(t, func(ctx context.Context) error {
		if err := task.Group(ctx, nil); err != nil {
			t.Errorf("Group(nil body) = %v", err)
		}
		g := task.NewTaskGroup(ctx)
		if g.Context() == ctx || g.Context().Err() != nil {
			t.Error("the group's context is not a live child of ctx")
		}
		tk := task.SpawnIn(g, sleeper(time.Second, 1))
		if err := g.Wait(); err != nil {
			t.Errorf("Wait = %v", err)
		}
		if v, _ := tk.Result(); v != 1 {
			t.Errorf("child = %d", v)
		}
		if err := g.Wait(); !errors.Is(err, eventloop.ErrInvalidState) {
			t.Errorf("second Wait = %v", err)
		}
		// Wait from the wrong context: the owner is the running task, but
		// another task cannot wait for the group.
		g2 := task.NewTaskGroup(ctx)
		task.SpawnIn(g2, sleeper(time.Second, 2))
		other := task.Go(ctx, func(context.Context) error { return g2.Wait() })
		if _, err := eventloop.Await(ctx, other); !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("Wait from another task = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

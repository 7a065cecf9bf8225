package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_waitfor.py. Not ported:
// test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started (WaitFor
// takes a task that is already spawned, never a bare coroutine), and the
// checks of __context__ chaining (Go errors carry no implicit context).

// slowCleanup is a task body that sleeps until cancelled, then spends
// cleanup (loop time) cleaning up with a ctx that ignores the cancellation,
// recording each step.
func slowCleanup(tr *trace, name string, cleanup time.Duration) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		err := eventloop.Sleep(ctx, time.Hour)
		tr.at(ctx, "%s: %v", name, err)
		if err != nil {
			eventloop.Sleep(context.WithoutCancel(ctx), cleanup)
			tr.at(ctx, "%s cleaned up", name)
		}
		return name, err
	}
}

func TestWaitForResultInTime(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		v, err := task.WaitFor(ctx, 2*time.Second, eventloop.Spawn(ctx, sleeper(time.Second, "ok")))
		if v != "ok" || err != nil {
			t.Errorf("WaitFor = %q, %v", v, err)
		}
		// test_wait_for_race_condition: a future set by a callback.
		f := eventloop.NewFuture[string](eventloop.LoopOf(ctx))
		eventloop.LoopOf(ctx).CallLater(time.Second, func() { f.SetResult("set") })
		if v, err := task.WaitFor(ctx, 2*time.Second, eventloop.Awaitable[string](f)); v != "set" || err != nil {
			t.Errorf("WaitFor(future) = %q, %v", v, err)
		}
		// The inner's own error comes back unchanged.
		if _, err := task.WaitFor(ctx, time.Hour, eventloop.Spawn(ctx, failer[int](time.Second, errA))); !errors.Is(err, errA) || isTimeout(err) {
			t.Errorf("WaitFor(failing) = %v", err)
		}
		// test_wait_for_blocking with timeout=None: Never, even once the
		// loop's clock has moved (now+Never must not wrap around).
		if v, err := task.WaitFor(ctx, eventloop.Never, eventloop.Spawn(ctx, sleeper(time.Hour, "never"))); v != "never" || err != nil {
			t.Errorf("WaitFor(Never) = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_wait_for and test_wait_for_waits_for_task_cancellation: on timeout
// WaitFor cancels the inner task and returns only after its cleanup ran.
func TestWaitForTimeoutCancelsInnerAndWaitsForCleanup(t *testing.T) {
	var tr trace
	var inner *eventloop.Task[string]
	err := runErr(t, func(ctx context.Context) error {
		inner = eventloop.Spawn(ctx, slowCleanup(&tr, "inner", time.Second))
		v, err := task.WaitFor(ctx, time.Minute, inner)
		tr.at(ctx, "WaitFor = %q, %v", v, err)
		if !isTimeout(err) {
			t.Errorf("WaitFor = %v, want ErrTimeout", err)
		}
		if eventloop.TimeoutOf(ctx) != nil {
			t.Error("WaitFor left its timeout scope visible in the caller's ctx")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1m0s inner: eventloop: cancelled", // the inner is cancelled, not under the deadline
		"1m1s inner cleaned up",
		`1m1s WaitFor = "inner", eventloop: timed out`,
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
	if !inner.Done() {
		t.Error("inner not done when WaitFor returned")
	}
}

// test_wait_for_timeout_less_then_0_or_0 and
// test_wait_for_timeout_less_then_0_or_0_future_done.
func TestWaitForNonPositiveTimeout(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		err := runErr(t, func(ctx context.Context) error {
			f := eventloop.NewFuture[string](eventloop.LoopOf(ctx))
			f.SetResult("done")
			if v, err := task.WaitFor(ctx, d, eventloop.Awaitable[string](f)); v != "done" || err != nil {
				t.Errorf("WaitFor(%v, done future) = %q, %v", d, v, err)
			}
			var tr trace
			started := eventloop.Spawn(ctx, slowCleanup(&tr, "running", 0))
			eventloop.Sleep(ctx, 0) // let it start
			if _, err := task.WaitFor(ctx, d, started); !isTimeout(err) {
				t.Errorf("WaitFor(%v, pending task) = %v, want ErrTimeout", d, err)
			}
			if !started.Cancelled() {
				t.Errorf("WaitFor(%v): the timed-out task is not cancelled", d)
			}
			if now := eventloop.LoopOf(ctx).Time(); now != 0 {
				t.Errorf("WaitFor(%v) returned at %v, want 0", d, now)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// test_cancel_wait_for (Python issue #23219): cancelling the waiter
// cancels the inner task too, and waits for its cleanup.
func TestWaitForOuterCancellationCancelsInner(t *testing.T) {
	for _, d := range []time.Duration{time.Hour * 2, eventloop.Never} {
		var tr trace
		err := runErr(t, func(ctx context.Context) error {
			inner := eventloop.Spawn(ctx, slowCleanup(&tr, "inner", time.Second))
			waiter := task.Go(ctx, func(ctx context.Context) error {
				_, err := task.WaitFor(ctx, d, inner)
				tr.at(ctx, "WaitFor: %v", err)
				return err
			})
			eventloop.Sleep(ctx, time.Minute)
			waiter.Cancel()
			if _, err := eventloop.Await(ctx, waiter); !isCancelled(err) || isTimeout(err) {
				t.Errorf("waiter = %v, want ErrCancelled", err)
			}
			if !inner.Cancelled() {
				t.Error("inner not cancelled")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"1m0s inner: eventloop: cancelled",
			"1m1s inner cleaned up",
			"1m1s WaitFor: eventloop: cancelled",
		}
		if diff := cmp.Diff(want, tr.get()); diff != "" {
			t.Errorf("d=%v: trace (-want +got):\n%s", d, diff)
		}
	}
}

// test_wait_for_cancel_suppressed and
// test_wait_for_cancellation_race_condition (bpo-84849): an inner task that
// handles the timeout's cancellation and returns a value wins: WaitFor
// returns that value.
func TestWaitForInnerSuppressingCancellationWins(t *testing.T) {
	v, err := run(t, func(ctx context.Context) (int, error) {
		return task.WaitFor(ctx, time.Second, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := eventloop.Sleep(ctx, time.Hour); !isCancelled(err) {
				return 0, err
			}
			return 42, nil
		}))
	})
	if v != 42 || err != nil {
		t.Errorf("WaitFor = %d, %v; want 42, nil", v, err)
	}
}

// test_wait_for_reraises_exception_during_cancellation: an error the inner
// task returns while cleaning up after the timeout is WaitFor's error.
func TestWaitForReturnsErrorRaisedDuringCancellation(t *testing.T) {
	_, err := run(t, func(ctx context.Context) (int, error) {
		return task.WaitFor(ctx, time.Second, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			eventloop.Sleep(ctx, time.Hour)
			return 0, errA
		}))
	})
	if !errors.Is(err, errA) || isTimeout(err) {
		t.Errorf("WaitFor = %v, want %v", err, errA)
	}
}

// test_wait_for_self_cancellation, for level-triggered cancellation: an
// inner that keeps working after the cancellation holds the cancelled
// WaitFor up until it is done, and its result stays readable.
func TestWaitForCancelledWhileInnerIgnoresCancellation(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		inner := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			eventloop.Sleep(ctx, time.Hour)
			eventloop.Sleep(context.WithoutCancel(ctx), 3*time.Second) // ignores it
			return 42, nil
		})
		waiter := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			return task.WaitFor(ctx, time.Second*10, inner)
		})
		eventloop.Sleep(ctx, time.Second)
		waiter.Cancel()
		if _, err := eventloop.Await(ctx, waiter); !isCancelled(err) {
			t.Errorf("waiter = %v, want ErrCancelled", err)
		}
		if now := eventloop.LoopOf(ctx).Time(); now != 4*time.Second {
			t.Errorf("waiter returned at %v, want 4s (after the inner finished)", now)
		}
		if v, err := eventloop.Await(ctx, inner); v != 42 || err != nil {
			t.Errorf("inner = %d, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_wait_for_issue86296: after a WaitFor that completed, a cancellation
// of the caller still takes effect at its next await.
func TestWaitForThenCancelStillCancels(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		reached := false
		w := task.Go(ctx, func(ctx context.Context) error {
			if _, err := task.WaitFor(ctx, 100*time.Second, eventloop.Spawn(ctx, sleeper(0, 1))); err != nil {
				return err
			}
			if err := eventloop.Sleep(ctx, time.Second); err != nil {
				return err
			}
			reached = true
			return nil
		})
		eventloop.Sleep(ctx, 0)
		eventloop.Sleep(ctx, 0)
		w.Cancel()
		if _, err := eventloop.Await(ctx, w); !isCancelled(err) || reached {
			t.Errorf("w = %v, reached end = %v", err, reached)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// WaitFor(ctx, 0, t) on a task that has not started yet times out at once,
// and the task's body never runs (CPython's test_wait_for_timeout_less_than_0_or_0).
func TestWaitForZeroOnUnstartedTask(t *testing.T) {
	ran := false
	runErr(t, func(ctx context.Context) error {
		tk := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			ran = true
			return 1, nil
		})
		v, err := task.WaitFor(ctx, 0, tk)
		if !errors.Is(err, eventloop.ErrTimeout) || v != 0 {
			t.Errorf("WaitFor(0) = %v, %v; want ErrTimeout", v, err)
		}
		if !tk.Cancelled() {
			t.Errorf("the task was not cancelled: %v", tk.Err())
		}
		// A negative d behaves the same; a done task gives its result.
		tk2 := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { ran = true; return 2, nil })
		if _, err := task.WaitFor(ctx, -time.Second, tk2); !errors.Is(err, eventloop.ErrTimeout) {
			t.Errorf("WaitFor(-1s) = %v", err)
		}
		done := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return 3, nil })
		eventloop.Await(ctx, done)
		ran = false
		if v, err := task.WaitFor(ctx, 0, done); v != 3 || err != nil {
			t.Errorf("WaitFor(0) of a done task = %v, %v", v, err)
		}
		return nil
	})
	if ran {
		t.Error("a body ran although WaitFor(0) timed out first")
	}
}

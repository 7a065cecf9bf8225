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

// Ported from CPython test_tasks.py test_shield_*. Not ported:
// test_shield_gather and test_gather_shield (our Shield is an await, not a
// future that Gather could take; gather a task that calls Shield instead).

func TestShieldCancellingAwaiterLeavesInnerRunning(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		inner := eventloop.Spawn(ctx, func(ctx context.Context) (string, error) {
			if err := eventloop.Sleep(ctx, time.Hour); err != nil {
				tr.at(ctx, "inner: %v", err)
				return "", err
			}
			tr.at(ctx, "inner done")
			return "result", nil
		})
		awaiter := task.Go(ctx, func(ctx context.Context) error {
			_, err := task.Shield(ctx, inner)
			tr.at(ctx, "Shield: %v", err)
			return err
		})
		eventloop.Sleep(ctx, time.Minute)
		awaiter.Cancel()
		if _, err := eventloop.Await(ctx, awaiter); !isCancelled(err) {
			t.Errorf("awaiter = %v", err)
		}
		v, err := eventloop.Await(ctx, inner)
		tr.at(ctx, "inner = %q, %v", v, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1m0s Shield: eventloop: cancelled", // at once: it does not wait for inner
		"1h0m0s inner done",
		`1h0m0s inner = "result", <nil>`,
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestShieldUnderExpiredTimeout(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		inner := eventloop.Spawn(ctx, sleeper(time.Hour, 7))
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := task.Shield(ctx, inner)
			return err
		})
		if !isTimeout(err) {
			t.Errorf("Timeout(Shield) = %v", err)
		}
		if inner.Done() {
			t.Error("inner stopped by the awaiter's timeout")
		}
		v, err := eventloop.Await(ctx, inner)
		if v != 7 || err != nil {
			t.Errorf("inner = %d, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_shield_result, test_shield_exception, test_shield_cancel_inner,
// test_shield_shortcut.
func TestShieldPassesInnerOutcome(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		if v, err := task.Shield(ctx, eventloop.Spawn(ctx, sleeper(time.Second, 1))); v != 1 || err != nil {
			t.Errorf("Shield(ok) = %d, %v", v, err)
		}
		if _, err := task.Shield(ctx, eventloop.Spawn(ctx, failer[int](time.Second, errA))); !errors.Is(err, errA) {
			t.Errorf("Shield(failing) = %v", err)
		}
		inner := eventloop.Spawn(ctx, sleeper(time.Hour, 1))
		eventloop.LoopOf(ctx).CallLater(time.Second, func() { inner.Cancel() })
		if _, err := task.Shield(ctx, inner); !isCancelled(err) {
			t.Errorf("Shield(inner cancelled) = %v", err)
		}
		if ctx.Err() != nil {
			t.Error("the awaiter was cancelled by the inner's cancellation")
		}
		done := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		done.SetResult(5)
		if v, err := task.Shield(ctx, eventloop.Awaitable[int](done)); v != 5 || err != nil {
			t.Errorf("Shield(done) = %d, %v", v, err)
		}
		// Level-triggered: a cancelled ctx is reported even for a done inner.
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if _, err := task.Shield(cctx, eventloop.Awaitable[int](done)); !isCancelled(err) {
			t.Errorf("Shield(done) on a cancelled ctx = %v", err)
		}
		if _, err := task.Shield[int](ctx, nil); err == nil {
			t.Error("Shield(nil) succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShieldOfAnotherLoopsFuture(t *testing.T) {
	other := newLoop(t)
	foreign := eventloop.NewFuture[int](other)
	err := runErr(t, func(ctx context.Context) error {
		if _, err := task.Shield(ctx, eventloop.Awaitable[int](foreign)); !errors.Is(err, eventloop.ErrWrongLoop) {
			t.Errorf("Shield(other loop's future) = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

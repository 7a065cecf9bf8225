package task_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Ported from CPython test_tasks.py test_as_completed*. Our AsCompleted has
// no timeout argument: a Timeout scope around the loop gives
// test_as_completed_with_timeout. test_as_completed_duplicate_coroutines
// is TestAsCompletedSameWaitableTwice: a waitable given twice is yielded
// once, as asyncio (which takes a set) does. Not ported: the
// coroutine/argument type checks (Go's types do them).

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		done := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		done.SetResult(0)
		ws := []eventloop.Awaitable[int]{
			eventloop.Spawn(ctx, sleeper(3*time.Second, 3)),
			eventloop.Spawn(ctx, sleeper(time.Second, 1)),
			done,
			eventloop.Spawn(ctx, sleeper(2*time.Second, 2)),
		}
		for a, err := range task.AsCompleted(ctx, ws...) {
			if err != nil {
				return err
			}
			v, err := a.Result()
			tr.at(ctx, "%d %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0s 0 <nil>", "1s 1 <nil>", "2s 2 <nil>", "3s 3 <nil>"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestAsCompletedBreakEarly(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		slow := eventloop.Spawn(ctx, sleeper(2*time.Second, "slow"))
		slower := eventloop.Spawn(ctx, sleeper(3*time.Second, "slower"))
		var first *eventloop.Task[string]
		for tk, err := range task.AsCompleted(ctx, slower, slow) {
			if err != nil {
				return err
			}
			first = tk
			break
		}
		if first != slow {
			t.Errorf("first = %v", first)
		}
		// The others finish after the break; their completion must not
		// reach the finished iterator (a yield after break panics).
		if _, err := task.GatherResults(ctx, slow, slower); err != nil {
			return err
		}
		if slower.Cancelled() {
			t.Error("breaking out cancelled the rest")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_as_completed_with_timeout: what finished in time is yielded, then
// the timeout once; the rest are not cancelled.
func TestAsCompletedTimeoutMidIteration(t *testing.T) {
	var tr trace
	var rest *eventloop.Task[int]
	err := runErr(t, func(ctx context.Context) error {
		fast := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		rest = eventloop.Spawn(ctx, sleeper(time.Hour, 2))
		err := task.Timeout(ctx, time.Minute, func(ctx context.Context) error {
			for tk, err := range task.AsCompleted(ctx, rest, fast) {
				if err != nil {
					tr.at(ctx, "error %v", err)
					continue // keeps ranging: the error must still come only once
				}
				v, _ := tk.Result()
				tr.at(ctx, "got %d", v)
			}
			tr.at(ctx, "loop ended")
			return ctx.Err()
		})
		tr.at(ctx, "Timeout: %v", err)
		if rest.Done() {
			t.Error("AsCompleted's timeout stopped a waitable")
		}
		_, err = eventloop.Await(ctx, rest)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1s got 1",
		"1m0s error eventloop: timed out",
		"1m0s loop ended",
		"1m0s Timeout: eventloop: timed out",
	}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestAsCompletedCancelledMidIteration(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		fast := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		slow := eventloop.Spawn(ctx, sleeper(time.Hour, 2))
		consumer := task.Go(ctx, func(ctx context.Context) error {
			var last error
			for _, err := range task.AsCompleted(ctx, fast, slow) {
				tr.at(ctx, "step %v", err)
				last = err
			}
			return last
		})
		eventloop.Sleep(ctx, time.Minute)
		consumer.Cancel()
		if _, err := eventloop.Await(ctx, consumer); !isCancelled(err) {
			t.Errorf("consumer = %v", err)
		}
		if slow.Cancelled() {
			t.Error("AsCompleted cancelled a waitable")
		}
		slow.Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1s step <nil>", "1m0s step eventloop: cancelled"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestAsCompletedEmptyAndMisuse(t *testing.T) {
	other := newLoop(t)
	err := runErr(t, func(ctx context.Context) error {
		for range task.AsCompleted[eventloop.Waitable](ctx) {
			t.Error("AsCompleted() yielded")
		}
		count := func(seq func(func(eventloop.Waitable, error) bool)) string {
			n, errs := 0, 0
			for _, err := range seq {
				n++
				if err != nil {
					errs++
				}
			}
			return fmt.Sprintf("%d steps, %d errors", n, errs)
		}
		mine := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		cases := map[string]func(func(eventloop.Waitable, error) bool){
			"no loop":    task.AsCompleted[eventloop.Waitable](context.Background(), mine),
			"nil":        task.AsCompleted[eventloop.Waitable](ctx, mine, nil),
			"nil *Task":  task.AsCompleted[eventloop.Waitable](ctx, mine, (*eventloop.Task[int])(nil)),
			"other loop": task.AsCompleted[eventloop.Waitable](ctx, mine, eventloop.NewFuture[int](other)),
		}
		for name, seq := range cases {
			if got := count(seq); got != "1 steps, 1 errors" {
				t.Errorf("AsCompleted with %s: %s, want one error", name, got)
			}
		}
		_, err := eventloop.Await(ctx, mine)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A waitable given twice is yielded once (asyncio.as_completed takes a
// set), pending or already done, and the iteration does not wait for a
// second completion that never comes.
func TestAsCompletedSameWaitableTwice(t *testing.T) {
	var tr trace
	err := runErr(t, func(ctx context.Context) error {
		done := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		done.SetResult(0)
		a := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		b := eventloop.Spawn(ctx, sleeper(2*time.Second, 2))
		ws := []eventloop.Awaitable[int]{a, done, a, b, done, a}
		for w, err := range task.AsCompleted(ctx, ws...) {
			if err != nil {
				return err
			}
			v, err := w.Result()
			tr.at(ctx, "%d %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0s 0 <nil>", "1s 1 <nil>", "2s 2 <nil>"}
	if diff := cmp.Diff(want, tr.get()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

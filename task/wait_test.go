package task_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// Wait is ported from CPython test_tasks.py (test_wait*, test_wait_errors,
// test_wait_first_exception*, test_wait_with_timeout,
// test_wait_concurrent_complete, test_wait_really_done). One deliberate
// difference: FirstException also returns on a cancelled waitable (asyncio
// ignores cancellations there), as Wait's doc says.

// names lists the task names of ws, for comparing splits.
func names(ws []eventloop.Waitable) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.(eventloop.TaskInfo).Name())
	}
	return out
}

type split struct {
	Done, Pending []string
	At            time.Duration
	Err           string
}

func waitSplit(ctx context.Context, ws []eventloop.Waitable, when task.ReturnWhen, timeout time.Duration) split {
	done, pending, err := task.Wait(ctx, ws, when, timeout)
	s := split{Done: names(done), Pending: names(pending), At: eventloop.LoopOf(ctx).Time()}
	if err != nil {
		s.Err = err.Error()
	}
	return s
}

func TestWaitReturnWhen(t *testing.T) {
	tests := []struct {
		name    string
		when    task.ReturnWhen
		timeout time.Duration
		failB   bool
		want    split
	}{
		{"FirstCompleted", task.FirstCompleted, task.NoTimeout, false,
			split{Done: []string{"a"}, Pending: []string{"b", "c"}, At: time.Second}},
		{"FirstExceptionWithFailure", task.FirstException, task.NoTimeout, true,
			split{Done: []string{"a", "b"}, Pending: []string{"c"}, At: 2 * time.Second}},
		{"FirstExceptionWithoutFailureWaitsForAll", task.FirstException, task.NoTimeout, false,
			split{Done: []string{"a", "b", "c"}, Pending: []string{}, At: 3 * time.Second}},
		{"AllCompleted", task.AllCompleted, task.NoTimeout, true,
			split{Done: []string{"a", "b", "c"}, Pending: []string{}, At: 3 * time.Second}},
		{"TimeoutSplitsWithoutError", task.AllCompleted, 2500 * time.Millisecond, false,
			split{Done: []string{"a", "b"}, Pending: []string{"c"}, At: 2500 * time.Millisecond}},
		{"TimeoutBeforeFirst", task.FirstCompleted, 500 * time.Millisecond, false,
			split{Done: []string{}, Pending: []string{"a", "b", "c"}, At: 500 * time.Millisecond}},
		{"ZeroTimeoutDoesNotWait", task.AllCompleted, 0, false,
			split{Done: []string{}, Pending: []string{"a", "b", "c"}, At: 0}},
		{"HugeTimeoutDoesNotOverflow", task.AllCompleted, math.MaxInt64, false,
			split{Done: []string{"a", "b", "c"}, Pending: []string{}, At: 3*time.Second + time.Nanosecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got split
			var ws []eventloop.Waitable
			err := runErr(t, func(ctx context.Context) error {
				if tt.timeout == math.MaxInt64 {
					// Move the clock first: now+timeout must not wrap.
					eventloop.Sleep(ctx, time.Nanosecond)
				}
				var errB error
				if tt.failB {
					errB = errA
				}
				ws = []eventloop.Waitable{
					eventloop.Spawn(ctx, sleeper(time.Second, 1), eventloop.WithName("a")),
					eventloop.Spawn(ctx, failer[int](2*time.Second, errB), eventloop.WithName("b")),
					eventloop.Spawn(ctx, sleeper(3*time.Second, 3), eventloop.WithName("c")),
				}
				got = waitSplit(ctx, ws, tt.when, tt.timeout)
				// Wait cancels nothing: the pending ones finish normally.
				_, err := task.GatherAll(ctx, ws...)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
			for _, w := range ws {
				if w.Cancelled() {
					t.Errorf("%s was cancelled", names([]eventloop.Waitable{w}))
				}
			}
		})
	}
}

func TestWaitFirstExceptionCountsCancellation(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Hour, 1), eventloop.WithName("a"))
		b := eventloop.Spawn(ctx, sleeper(time.Hour, 2), eventloop.WithName("b"))
		task.Go(ctx, func(ctx context.Context) error { eventloop.Sleep(ctx, time.Second); a.Cancel(); return nil })
		got := waitSplit(ctx, []eventloop.Waitable{a, b}, task.FirstException, task.NoTimeout)
		want := split{Done: []string{"a"}, Pending: []string{"b"}, At: time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("split (-want +got):\n%s", diff)
		}
		b.Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// test_wait_concurrent_complete and test_wait_really_done: what completes
// in the same iteration as the first one, or is done already, is in done.
func TestWaitFirstCompletedSeesEverythingDoneByThen(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Second, 1), eventloop.WithName("a"))
		b := eventloop.Spawn(ctx, sleeper(time.Second, 2), eventloop.WithName("b"))
		c := eventloop.Spawn(ctx, sleeper(time.Hour, 3), eventloop.WithName("c"))
		got := waitSplit(ctx, []eventloop.Waitable{c, a, b}, task.FirstCompleted, task.NoTimeout)
		want := split{Done: []string{"a", "b"}, Pending: []string{"c"}, At: time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("same-time completions (-want +got):\n%s", diff)
		}
		// Already satisfied: returns without waiting.
		got = waitSplit(ctx, []eventloop.Waitable{c, a}, task.FirstCompleted, task.NoTimeout)
		want = split{Done: []string{"a"}, Pending: []string{"c"}, At: time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("already done (-want +got):\n%s", diff)
		}
		c.Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWaitErrors(t *testing.T) {
	other := newLoop(t)
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Second, 1))
		cases := map[string]func() error{
			"empty":          func() error { _, _, err := task.Wait(ctx, nil, task.AllCompleted, task.NoTimeout); return err },
			"bad ReturnWhen": func() error { _, _, err := task.Wait(ctx, []eventloop.Waitable{a}, 7, task.NoTimeout); return err },
			"nil waitable": func() error {
				_, _, err := task.Wait(ctx, []eventloop.Waitable{a, nil}, task.AllCompleted, 0)
				return err
			},
			"no loop": func() error {
				_, _, err := task.Wait(context.Background(), []eventloop.Waitable{a}, task.AllCompleted, 0)
				return err
			},
			"other loop's": func() error {
				_, _, err := task.Wait(ctx, []eventloop.Waitable{eventloop.NewFuture[int](other)}, task.AllCompleted, 0)
				return err
			},
			"not a task's ctx": func() error {
				_, _, err := task.Wait(eventloop.LoopOf(ctx).Context(), []eventloop.Waitable{a}, task.AllCompleted, task.NoTimeout)
				return err
			},
		}
		for name, f := range cases {
			if err := f(); err == nil {
				t.Errorf("Wait with %s: no error", name)
			}
		}
		_, err := eventloop.Await(ctx, a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWaitCancelledReturnsSplitAndCancelsNothing(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := eventloop.Spawn(ctx, sleeper(time.Second, 1), eventloop.WithName("a"))
		b := eventloop.Spawn(ctx, sleeper(time.Hour, 2), eventloop.WithName("b"))
		var got split
		waiter := task.Go(ctx, func(ctx context.Context) error {
			got = waitSplit(ctx, []eventloop.Waitable{a, b}, task.AllCompleted, task.NoTimeout)
			return nil
		})
		eventloop.Sleep(ctx, time.Minute)
		waiter.Cancel()
		eventloop.Await(ctx, waiter)
		want := split{Done: []string{"a"}, Pending: []string{"b"}, At: time.Minute, Err: eventloop.ErrCancelled.Error()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("split (-want +got):\n%s", diff)
		}
		if b.Cancelled() || b.Done() {
			t.Errorf("b: done=%v cancelled=%v; Wait must not cancel it", b.Done(), b.Cancelled())
		}
		b.Cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Level-triggered cancellation: a Wait on a cancelled ctx reports it even
// when the condition already holds.
func TestWaitOnCancelledCtxReportsIt(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		f := eventloop.NewFuture[int](eventloop.LoopOf(ctx))
		f.SetResult(1)
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		done, pending, err := task.Wait(cctx, []eventloop.Waitable{f}, task.AllCompleted, task.NoTimeout)
		if len(done) != 1 || len(pending) != 0 || !isCancelled(err) {
			t.Errorf("Wait = %v, %v, %v; want [f], [], ErrCancelled", done, pending, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Found while testing Wait with a huge timeout (Wait now saturates the
// deadline itself): the loop's CallLater computes now+d without saturating.
func TestLoopCallLaterHugeDelayDoesNotFireAtOnce(t *testing.T) {
	l := newLoop(t)
	fired := false
	l.CallLater(time.Second, func() {
		h, _ := l.CallLater(math.MaxInt64, func() { fired = true })
		l.CallSoon(func() { l.CallSoon(func() { h.Cancel(); l.Stop() }) })
	})
	l.RunForever()
	if fired {
		t.Error("CallLater(MaxInt64) fired within two iterations")
	}
}

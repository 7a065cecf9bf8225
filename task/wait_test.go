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
func names(ws []task.Waitable) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.(task.TaskInfo).Name())
	}
	return out
}

type split struct {
	Done, Pending []string
	At            time.Duration
	Err           string
}

func waitSplit(ctx context.Context, ws []task.Waitable, when task.ReturnWhen, timeout time.Duration) split {
	done, pending, err := task.Wait(ctx, ws, when, timeout)
	s := split{Done: names(done), Pending: names(pending), At: task.Loop(ctx).Time()}
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
			var ws []task.Waitable
			err := runErr(t, func(ctx context.Context) error {
				if tt.timeout == math.MaxInt64 {
					// Move the clock first: now+timeout must not wrap.
					task.Sleep(ctx, time.Nanosecond)
				}
				var errB error
				if tt.failB {
					errB = errA
				}
				ws = []task.Waitable{
					task.Spawn(ctx, sleeper(time.Second, 1), task.WithName("a")),
					task.Spawn(ctx, failer[int](2*time.Second, errB), task.WithName("b")),
					task.Spawn(ctx, sleeper(3*time.Second, 3), task.WithName("c")),
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
					t.Errorf("%s was cancelled", names([]task.Waitable{w}))
				}
			}
		})
	}
}

func TestWaitFirstExceptionCountsCancellation(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := task.Spawn(ctx, sleeper(time.Hour, 1), task.WithName("a"))
		b := task.Spawn(ctx, sleeper(time.Hour, 2), task.WithName("b"))
		task.Go(ctx, func(ctx context.Context) error { task.Sleep(ctx, time.Second); a.Cancel(); return nil })
		got := waitSplit(ctx, []task.Waitable{a, b}, task.FirstException, task.NoTimeout)
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
		a := task.Spawn(ctx, sleeper(time.Second, 1), task.WithName("a"))
		b := task.Spawn(ctx, sleeper(time.Second, 2), task.WithName("b"))
		c := task.Spawn(ctx, sleeper(time.Hour, 3), task.WithName("c"))
		got := waitSplit(ctx, []task.Waitable{c, a, b}, task.FirstCompleted, task.NoTimeout)
		want := split{Done: []string{"a", "b"}, Pending: []string{"c"}, At: time.Second}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("same-time completions (-want +got):\n%s", diff)
		}
		// Already satisfied: returns without waiting.
		got = waitSplit(ctx, []task.Waitable{c, a}, task.FirstCompleted, task.NoTimeout)
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
		a := task.Spawn(ctx, sleeper(time.Second, 1))
		cases := map[string]func() error{
			"empty":          func() error { _, _, err := task.Wait(ctx, nil, task.AllCompleted, task.NoTimeout); return err },
			"bad ReturnWhen": func() error { _, _, err := task.Wait(ctx, []task.Waitable{a}, 7, task.NoTimeout); return err },
			"nil waitable":   func() error { _, _, err := task.Wait(ctx, []task.Waitable{a, nil}, task.AllCompleted, 0); return err },
			"no loop": func() error {
				_, _, err := task.Wait(context.Background(), []task.Waitable{a}, task.AllCompleted, 0)
				return err
			},
			"other loop's": func() error {
				_, _, err := task.Wait(ctx, []task.Waitable{eventloop.NewFuture[int](other)}, task.AllCompleted, 0)
				return err
			},
			"not a task's ctx": func() error {
				_, _, err := task.Wait(task.Loop(ctx).Context(), []task.Waitable{a}, task.AllCompleted, task.NoTimeout)
				return err
			},
		}
		for name, f := range cases {
			if err := f(); err == nil {
				t.Errorf("Wait with %s: no error", name)
			}
		}
		_, err := task.Await(ctx, a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWaitCancelledReturnsSplitAndCancelsNothing(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := task.Spawn(ctx, sleeper(time.Second, 1), task.WithName("a"))
		b := task.Spawn(ctx, sleeper(time.Hour, 2), task.WithName("b"))
		var got split
		waiter := task.Go(ctx, func(ctx context.Context) error {
			got = waitSplit(ctx, []task.Waitable{a, b}, task.AllCompleted, task.NoTimeout)
			return nil
		})
		task.Sleep(ctx, time.Minute)
		waiter.Cancel()
		task.Await(ctx, waiter)
		want := split{Done: []string{"a"}, Pending: []string{"b"}, At: time.Minute, Err: task.ErrCancelled.Error()}
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
		f := eventloop.NewFuture[int](task.Loop(ctx))
		f.SetResult(1)
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		done, pending, err := task.Wait(cctx, []task.Waitable{f}, task.AllCompleted, task.NoTimeout)
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

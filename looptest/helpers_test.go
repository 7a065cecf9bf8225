package looptest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

func TestSimManualTime(t *testing.T) {
	s := New(t)
	var fired []time.Duration
	for _, d := range []time.Duration{3, 1, 2} {
		if _, err := s.Loop().CallLater(d*time.Second, func() { fired = append(fired, s.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	if s.Step(); len(fired) != 0 || s.Now() != 0 {
		t.Fatalf("Step fired %v at %v; want nothing at 0", fired, s.Now())
	}
	s.Advance(1500 * time.Millisecond)
	if !slices.Equal(fired, []time.Duration{time.Second}) || s.Now() != 1500*time.Millisecond {
		t.Fatalf("after Advance(1.5s): fired %v, now %v", fired, s.Now())
	}
	s.Advance(2 * time.Second)
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(fired, want) || s.Now() != 3500*time.Millisecond {
		t.Fatalf("after Advance(2s): fired %v, want each at its deadline %v; now %v", fired, want, s.Now())
	}
	steps := 0
	tk := s.Go("worker", func(ctx context.Context) error {
		for range 3 {
			steps++
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		return eventloop.Sleep(ctx, time.Hour)
	})
	if !s.Step() || steps != 1 {
		t.Fatalf("first Step: %d steps, want 1", steps)
	}
	s.RunUntilIdle()
	if steps != 3 || s.Now() != 3500*time.Millisecond || tk.Done() {
		t.Fatalf("RunUntilIdle: %d steps at %v (done %v); want 3 at 3.5s, sleeping", steps, s.Now(), tk.Done())
	}
	if s.Step() {
		t.Errorf("Step on an idle loop reported work")
	}
	if err := s.RunUntilDone(tk); err != nil || tk.Err() != nil {
		t.Fatalf("RunUntilDone: %v, task %v", err, tk.Err())
	}
	if s.Now() != time.Hour+3500*time.Millisecond {
		t.Errorf("now %v, want 1h0m3.5s", s.Now())
	}
}

func TestSimRunUntilDoneDeadlock(t *testing.T) {
	s := New(t)
	var ev locks.Event
	tk := s.Go("waiter", ev.Wait)
	err := s.RunUntilDone(tk)
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("RunUntilDone: %v; want ErrDeadlock", err)
	}
	ev.Set()
	if err := s.RunUntilDone(tk); err != nil || tk.Err() != nil {
		t.Fatalf("after Set: %v, task %v", err, tk.Err())
	}
}

func TestSequencerForcesOrder(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		var seq Sequencer
		var got []string
		step := func(name string, steps ...int) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for _, n := range steps {
					if err := seq.Step(ctx, n); err != nil {
						return err
					}
					got = append(got, name+"@"+string(rune('0'+n)))
				}
				return nil
			}
		}
		// Spawned in the wrong order on purpose.
		c := task.Go(ctx, step("c", 3, 6))
		b := task.Go(ctx, step("b", 2, 5))
		a := task.Go(ctx, step("a", 1, 4))
		if err := task.Gather(ctx, a, b, c); err != nil {
			return err
		}
		want := []string{"a@1", "b@2", "c@3", "a@4", "b@5", "c@6"}
		if !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
		if seq.Passed() != 6 {
			t.Errorf("Passed() = %d, want 6", seq.Passed())
		}
		if err := seq.Step(ctx, 2); !errors.Is(err, ErrStepTaken) {
			t.Errorf("Step(2) again: %v, want ErrStepTaken", err)
		}
		if err := seq.Step(ctx, 0); !errors.Is(err, ErrBadStep) {
			t.Errorf("Step(0): %v, want ErrBadStep", err)
		}
		// A cancelled wait leaves its step free for another task.
		err := task.Timeout(ctx, time.Second, func(ctx context.Context) error { return seq.Step(ctx, 8) })
		if !errors.Is(err, eventloop.ErrTimeout) {
			t.Errorf("Step(8) under a 1s timeout: %v, want ErrTimeout", err)
		}
		late := task.Go(ctx, func(ctx context.Context) error { return seq.Step(ctx, 8) })
		if err := seq.Step(ctx, 7); err != nil {
			return err
		}
		return task.Gather(ctx, late)
	})
}

func TestWaitIdle(t *testing.T) {
	Run(t, func(ctx context.Context) error {
		var ev locks.Event
		arrived := 0
		var ws []eventloop.Waitable
		for i := range 5 {
			ws = append(ws, task.Go(ctx, func(ctx context.Context) error {
				for range i + 1 { // different numbers of iterations before blocking
					if err := eventloop.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				arrived++
				return ev.Wait(ctx)
			}))
		}
		if err := WaitIdle(ctx); err != nil {
			return err
		}
		if arrived != 5 || Loop(ctx).Time() != 0 {
			t.Errorf("WaitIdle returned with %d of 5 tasks blocked, at %v", arrived, Loop(ctx).Time())
		}
		ev.Set()
		return task.Gather(ctx, ws...)
	})
}

func TestWaitIdleGivesUp(t *testing.T) {
	defer func(n int) { maxIdleRounds = n }(maxIdleRounds)
	maxIdleRounds = 100
	Run(t, func(ctx context.Context) error {
		spinner := task.Go(ctx, func(ctx context.Context) error {
			for {
				if err := eventloop.Sleep(ctx, 0); err != nil {
					return err
				}
			}
		})
		if err := WaitIdle(ctx); !errors.Is(err, ErrNeverIdle) {
			t.Errorf("WaitIdle beside a spinner: %v, want ErrNeverIdle", err)
		}
		spinner.Cancel()
		if err := task.Gather(ctx, spinner); !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("spinner: %v", err)
		}
		return nil
	})
}

func TestWaitIdleOutsideTask(t *testing.T) {
	if err := WaitIdle(context.Background()); err == nil {
		t.Error("WaitIdle outside a loop: nil error")
	}
}

package task_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// These tests pin the loop iteration in which Wait, AsCompleted and
// TaskGroup act on a child's completion: one iteration after it, where a
// done callback of the child runs, so the waiting task resumes in the
// iteration after that. They were written against the implementation that
// registered a done callback per child, so that the one that watches the
// children through eventloop.Watch can be seen to keep the timing.

// endsAfter spawns a child that ends with err after yielding n times and
// records the iteration it ended in.
func endsAfter(ctx context.Context, name string, n int, err error, endedAt map[string]uint64) *eventloop.Task[struct{}] {
	l := eventloop.LoopOf(ctx)
	return task.Go(ctx, func(ctx context.Context) error {
		if e := testkit.Yield(ctx, n); e != nil {
			return e
		}
		endedAt[name] = l.Stats().Iterations
		return err
	}, eventloop.WithName(name))
}

// Wait returns two iterations after the child that satisfies its
// condition ends, for each ReturnWhen, with or without a timeout.
func TestWaitReturnsTwoIterationsAfterTheDecidingChild(t *testing.T) {
	tests := []struct {
		name     string
		when     task.ReturnWhen
		yields   []int // of children a, b, c
		failB    bool
		deciding string
	}{
		{"AllCompleted", task.AllCompleted, []int{2, 9, 5}, false, "b"},
		{"FirstCompleted", task.FirstCompleted, []int{7, 3, 5}, false, "b"},
		{"FirstException", task.FirstException, []int{2, 5, 9}, true, "b"},
		{"FirstExceptionWithoutFailure", task.FirstException, []int{2, 9, 5}, false, "b"},
	}
	for _, tt := range tests {
		for _, timeout := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/timeout=%v", tt.name, timeout), func(t *testing.T) {
				err := runErr(t, func(ctx context.Context) error {
					l := eventloop.LoopOf(ctx)
					endedAt := map[string]uint64{}
					var errB error
					if tt.failB {
						errB = errA
					}
					ws := []eventloop.Waitable{
						endsAfter(ctx, "a", tt.yields[0], nil, endedAt),
						endsAfter(ctx, "b", tt.yields[1], errB, endedAt),
						endsAfter(ctx, "c", tt.yields[2], nil, endedAt),
					}
					d := task.NoTimeout
					if timeout {
						d = 1 << 40
					}
					if _, _, err := task.Wait(ctx, ws, tt.when, d); err != nil {
						return err
					}
					if got := l.Stats().Iterations - endedAt[tt.deciding]; got != 2 {
						t.Errorf("Wait returned %d iterations after %s ended, want 2", got, tt.deciding)
					}
					_, err := task.GatherAll(ctx, ws...)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// Wait decides when a child's done callback runs, on what is done by
// then: when b ends in the iteration between a's end and a's callback,
// a's callback already sees both done, and Wait returns one iteration
// after b ended (asyncio, which counts in the callbacks, returns one
// later). Spawned first, b runs before a in each iteration; it yields
// once more, so it ends one iteration after a, before a's callback.
func TestWaitSeesWhatEndedBeforeTheCallbackRuns(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		endedAt := map[string]uint64{}
		b := endsAfter(ctx, "b", 4, nil, endedAt)
		a := endsAfter(ctx, "a", 3, nil, endedAt)
		if _, _, err := task.Wait(ctx, []eventloop.Waitable{a, b}, task.AllCompleted, task.NoTimeout); err != nil {
			return err
		}
		now := l.Stats().Iterations
		if got := endedAt["b"] - endedAt["a"]; got != 1 {
			t.Fatalf("b ended %d iterations after a, want 1 (the test's setup is off)", got)
		}
		if got := now - endedAt["b"]; got != 1 {
			t.Errorf("Wait returned %d iterations after b ended, want 1", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// AsCompleted yields each child two iterations after it ended when the
// consumer is waiting, and at once what ended while the consumer was
// busy and whose callback has run.
func TestAsCompletedYieldsTwoIterationsAfterEachChild(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		endedAt := map[string]uint64{}
		ws := []eventloop.Waitable{
			endsAfter(ctx, "a", 9, nil, endedAt),
			endsAfter(ctx, "b", 2, errA, endedAt),
			endsAfter(ctx, "c", 5, nil, endedAt),
			endsAfter(ctx, "d", 5, nil, endedAt),
		}
		var got []string
		for w, err := range task.AsCompleted(ctx, ws...) {
			if err != nil {
				return err
			}
			name := w.(eventloop.TaskInfo).Name()
			got = append(got, fmt.Sprintf("%s +%d", name, l.Stats().Iterations-endedAt[name]))
			if name == "c" {
				testkit.Yield(ctx, 1) // d's callback runs meanwhile
			}
		}
		want := []string{"b +2", "c +2", "d +3", "a +2"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("yields (-want +got):\n%s", diff)
		}
		_, err := task.GatherAll(ctx, ws...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A TaskGroup's Wait returns two iterations after its last child ended,
// and a failing child's siblings see the cancellation two iterations
// after it failed (the group cancels them from the child's done
// callback; a task parked in Sleep resumes in the next iteration).
func TestTaskGroupActsOneIterationAfterEachChild(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			var errB error
			if fail {
				errB = errA
			}
			endedAt := map[string]uint64{}
			var cancelledAt, returnedAt uint64
			err := runErr(t, func(ctx context.Context) error {
				l := eventloop.LoopOf(ctx)
				err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
					g.Go(func(ctx context.Context) error { return testkit.Yield(ctx, 3) })
					g.Go(func(ctx context.Context) error {
						if err := testkit.Yield(ctx, 5); err != nil {
							return err
						}
						endedAt["b"] = l.Stats().Iterations
						return errB
					})
					g.Go(func(ctx context.Context) error {
						err := eventloop.Sleep(ctx, time.Hour)
						cancelledAt = l.Stats().Iterations
						endedAt["c"] = cancelledAt
						return err
					})
					return nil
				})
				returnedAt = l.Stats().Iterations
				if fail != errors.Is(err, errA) {
					t.Errorf("Group = %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fail {
				if got := cancelledAt - endedAt["b"]; got != 2 {
					t.Errorf("c saw the cancellation %d iterations after b failed, want 2", got)
				}
			}
			if got := returnedAt - endedAt["c"]; got != 2 {
				t.Errorf("Group returned %d iterations after the last child ended, want 2", got)
			}
		})
	}
}

package task_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/task"
	"github.com/google/go-cmp/cmp"
)

// workload is a mixed program: nested tasks, sleeps of pseudo-random
// lengths (fixed seed), Gather, Wait, AsCompleted, Timeouts that expire
// and some that do not, a TaskGroup with a failure, Shield and
// cancellation. Everything it does goes to the trace with the loop time.
func workload(t *testing.T) []string {
	var tr trace
	rng := rand.New(rand.NewPCG(1, 2))
	ms := func() time.Duration { return time.Duration(rng.IntN(50)) * time.Millisecond }
	worker := func(name string, steps int) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			for i := range steps {
				d := ms()
				if err := eventloop.Sleep(ctx, d); err != nil {
					tr.at(ctx, "%s step %d: %v", name, i, err)
					return i, err
				}
				tr.at(ctx, "%s step %d slept %v", name, i, d)
			}
			return steps, nil
		}
	}
	err := runErr(t, func(ctx context.Context) error {
		var ws []eventloop.Awaitable[int]
		for _, n := range []string{"a", "b", "c", "d"} {
			ws = append(ws, eventloop.Spawn(ctx, worker(n, 4), eventloop.WithName(n)))
		}
		vs, err := task.GatherResults(ctx, ws...)
		tr.at(ctx, "gather %v %v", vs, err)

		for tk, err := range task.AsCompleted(ctx,
			eventloop.Spawn(ctx, worker("e", 3)), eventloop.Spawn(ctx, worker("f", 3)), eventloop.Spawn(ctx, worker("g", 3))) {
			if err != nil {
				return err
			}
			v, _ := tk.Result()
			tr.at(ctx, "as completed %d", v)
		}

		err = task.Timeout(ctx, 60*time.Millisecond, func(ctx context.Context) error {
			_, err := task.GatherResults(ctx, eventloop.Spawn(ctx, worker("h", 10)), eventloop.Spawn(ctx, worker("timed", 10)))
			return err
		})
		tr.at(ctx, "timeout: %v", err)

		slow := eventloop.Spawn(ctx, worker("slow", 5))
		done, pending, err := task.Wait(ctx, []eventloop.Waitable{slow, eventloop.Spawn(ctx, worker("quick", 1))}, task.FirstCompleted, task.NoTimeout)
		tr.at(ctx, "wait: %d done %d pending %v", len(done), len(pending), err)
		v, err := task.WaitFor(ctx, 30*time.Millisecond, slow)
		tr.at(ctx, "waitfor: %d %v", v, err)

		err = task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for _, n := range []string{"x", "y", "z"} {
				task.SpawnIn(g, worker(n, 6), eventloop.WithName(n))
			}
			g.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, 70*time.Millisecond)
				return errors.New("group member failed")
			})
			_, err := worker("body", 10)(ctx)
			return err
		})
		tr.at(ctx, "group: %v", err)

		inner := eventloop.Spawn(ctx, worker("shielded", 3))
		shieldErr := task.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			_, err := task.Shield(ctx, inner)
			return err
		})
		v, err = eventloop.Await(ctx, inner)
		tr.at(ctx, "shield: %v, inner %d %v", shieldErr, v, err)
		eventloop.Spawn(ctx, worker("leftover", 100))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr.get()
}

// The same program on a virtual clock runs the same way every time (Tokio's
// paused_time_is_deterministic, Trio's scheduler determinism test).
func TestDeterministicTrace(t *testing.T) {
	first := workload(t)
	if len(first) < 50 {
		t.Fatalf("workload traced only %d events:\n%q", len(first), first)
	}
	for i := range 5 {
		if diff := cmp.Diff(first, workload(t)); diff != "" {
			t.Fatalf("run %d differs from the first (-first +run):\n%s", i+2, diff)
		}
	}
}

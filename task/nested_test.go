package task_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
)

// Run and Main from inside a task of a running loop fail with
// ErrNestedLoop at once (asyncio.run: "cannot be called from a running
// event loop"); the inner main never runs and nothing of the inner loop is
// left behind (goleak checks its goroutines).
func TestRunInsideARunningLoop(t *testing.T) {
	for _, name := range []string{"Run", "Main"} {
		t.Run(name, func(t *testing.T) {
			var innerErr error
			ran := false
			inner := func(ctx context.Context) error { ran = true; return nil }
			err := runErr(t, func(ctx context.Context) error {
				if name == "Run" {
					_, innerErr = task.Run(func(ctx context.Context) (int, error) { return 0, inner(ctx) })
				} else {
					innerErr = task.Main(inner)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("outer Run: %v", err)
			}
			if !errors.Is(innerErr, eventloop.ErrNestedLoop) {
				t.Errorf("%s inside a task = %v, want ErrNestedLoop", name, innerErr)
			}
			if ran {
				t.Errorf("the inner main ran")
			}
		})
	}
}

// RunUntilComplete of a second loop from a task of the first: the same
// error, and the second loop still works once outside.
func TestRunUntilCompleteOfAnotherLoopInsideATask(t *testing.T) {
	l2, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	t2 := eventloop.Spawn(l2.Context(), func(ctx context.Context) (int, error) { return 7, nil })
	err = runErr(t, func(ctx context.Context) error {
		if err := l2.RunUntilComplete(t2); !errors.Is(err, eventloop.ErrNestedLoop) {
			t.Errorf("RunUntilComplete inside a task = %v, want ErrNestedLoop", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.RunUntilComplete(t2); err != nil {
		t.Fatalf("outside: %v", err)
	}
	if v, _ := t2.Result(); v != 7 {
		t.Errorf("result %d", v)
	}
}

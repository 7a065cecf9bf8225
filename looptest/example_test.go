package looptest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/task"
)

// A test body runs on a virtual clock: an hour of sleeps takes no time.
// (A real test passes its *testing.T; the Recorder stands in for it here.)
func ExampleRun() {
	rec := &looptest.Recorder{}
	res := looptest.Run(rec, func(ctx context.Context) error {
		for range 60 {
			if err := eventloop.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
		return nil
	})
	fmt.Println(res.End, rec.Failed())
	// Output: 1h0m0s false
}

// A deadlock fails the test with the list of tasks and where they wait.
func ExampleRun_deadlock() {
	rec := &looptest.Recorder{}
	res := looptest.Run(rec, func(ctx context.Context) error {
		var ev locks.Event // nobody sets it
		return ev.Wait(ctx)
	})
	fmt.Println(errors.Is(res.Err, looptest.ErrDeadlock))
	fmt.Println(rec.Errors()[0])
	// Output:
	// true
	// looptest: deadlock at 0s (loop time), iteration 1: every task waits for something only the loop could deliver, and no callback, timer, I/O, executor job or outside work is pending
	//   TASK  STATE    SINCE  STEPS  WAITS AT
	//   main  waiting  0s     1      locks.Event.Wait at looptest/example_test.go:37 (looptest_test.ExampleRun_deadlock.func1)
}

// Seeds finds code that leans on an order nothing promises, and names the
// seed that replays it.
func ExampleSeeds() {
	rec := &looptest.Recorder{}
	results := looptest.Seeds(rec, 20, func(ctx context.Context) error {
		written := false
		w := task.Go(ctx, func(ctx context.Context) error {
			err := eventloop.Sleep(ctx, time.Second)
			written = true
			return err
		})
		r := task.Go(ctx, func(ctx context.Context) error {
			if err := eventloop.Sleep(ctx, time.Second); err != nil {
				return err
			}
			if !written { // the bug: the writer's sleep ends at the same instant
				return errors.New("read before the write")
			}
			return nil
		})
		return task.Gather(ctx, w, r)
	})
	for _, r := range results {
		if r.Failed {
			fmt.Println("a seed failed:", r.Seed > 0, "the test failed:", rec.Failed())
			break
		}
	}
	// Output: a seed failed: true the test failed: true
}

// A Sequencer forces an interleaving whatever the spawn order.
func ExampleSequencer() {
	looptest.Run(&looptest.Recorder{}, func(ctx context.Context) error {
		var seq looptest.Sequencer
		b := task.Go(ctx, func(ctx context.Context) error {
			if err := seq.Step(ctx, 2); err != nil {
				return err
			}
			fmt.Println("second")
			return nil
		})
		if err := seq.Step(ctx, 1); err != nil {
			return err
		}
		fmt.Println("first")
		return task.Gather(ctx, b)
	})
	// Output:
	// first
	// second
}

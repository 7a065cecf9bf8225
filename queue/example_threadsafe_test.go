package queue_test

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

func ExampleThreadsafe() {
	// janus: plain goroutines put with the Sync end, a task gets with the
	// Async end, and the task's waits never block the loop.
	q := queue.NewThreadsafe[string](1)
	go func() {
		for _, s := range []string{"one", "two", "three"} {
			q.Sync().Put(context.Background(), s) // blocks this goroutine while full
		}
		q.Shutdown(false)
	}()
	task.Run(func(ctx context.Context) (struct{}, error) {
		for {
			s, err := q.Async().Get(ctx)
			if err != nil {
				fmt.Println("done:", err)
				return struct{}{}, nil
			}
			fmt.Println(s)
		}
	})
	// Output:
	// one
	// two
	// three
	// done: queue: queue is shut down
}

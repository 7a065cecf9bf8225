package eventloop_test

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

func ExampleFuture_SetResultThreadsafe() {
	// A goroutine completes a future that a task awaits
	// (loop.call_soon_threadsafe(fut.set_result, v) in one call).
	l, _ := eventloop.New()
	defer l.Close()
	t := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		f := eventloop.NewFuture[string](l)
		go func() { f.SetResultThreadsafe("computed elsewhere") }()
		return eventloop.Await(ctx, f)
	})
	l.RunUntilComplete(t)
	fmt.Println(t.Result())
	// Output: computed elsewhere <nil>
}

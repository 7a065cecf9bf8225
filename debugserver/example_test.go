//go:build unix

// The endpoint is a Unix socket: the example runs where AF_UNIX does (not
// under Wine).

package debugserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aio-go/aio/debugserver"
	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
)

// A program opts in with Listen; anything that can reach the socket (the
// aio command, or Fetch as here) gets its loops' task trees. Fetch blocks
// until the loop answers, so a task calls it through ToThread.
func ExampleListen() {
	dir, _ := os.MkdirTemp("", "debugserver-example")
	defer os.RemoveAll(dir)
	l, _ := eventloop.New(eventloop.WithLoopName("main"))
	defer l.Close()
	srv, err := debugserver.Listen(filepath.Join(dir, "debug.sock"), l)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		worker := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, eventloop.Sleep(ctx, time.Hour)
		}, eventloop.WithName("worker"))
		defer worker.Cancel()
		rep, err := task.ToThread(ctx, func(ctx context.Context) (*debugserver.Report, error) {
			return debugserver.Fetch(ctx, srv.Path())
		})
		if err != nil {
			return 0, err
		}
		for _, lr := range rep.Loops {
			fmt.Printf("loop %q: %d tasks\n", lr.Name, len(lr.Tasks))
			for _, t := range lr.Tasks {
				fmt.Printf("  #%d %s parent=%d %s\n", t.ID, t.Name, t.Parent, t.State)
			}
		}
		return 0, nil
	}, eventloop.WithName("server"))
	l.RunUntilComplete(main)
	if _, err := main.Result(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// loop "main": 2 tasks
	//   #1 server parent=0 suspended
	//   #2 worker parent=1 suspended
}

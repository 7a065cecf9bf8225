package looptest_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/streams"
)

// A client and a server talk over the simulated network, with streams
// unchanged: 25 ms each way between "app" and "db", a partition that holds
// the reply for a minute, and a dial to a host where nobody listens.
func ExampleWithNetwork() {
	rec := &looptest.Recorder{}
	looptest.Run(rec, func(ctx context.Context) error {
		net := looptest.NetworkOf(ctx)
		net.SetLink("app", "db", looptest.Link{Latency: 25 * time.Millisecond})
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			defer w.Close()
			line, _ := r.ReadLine(ctx)
			w.Write(append([]byte("pong to "), line...))
		}, "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer srv.Close()

		app := looptest.OnHost(ctx, "app")
		l := looptest.Loop(ctx)
		r, w, err := streams.OpenConnection(app, "tcp", "db:5432")
		if err != nil {
			return err
		}
		fmt.Println("connected at", l.Time())
		w.Write([]byte("ping\n"))
		line, _ := r.ReadLine(app)
		fmt.Printf("%q at %v\n", line, l.Time())
		w.Close()

		r, w, _ = streams.OpenConnection(app, "tcp", "db:5432")
		net.Partition([]string{"app"}, []string{"db"})
		l.CallLater(time.Minute, net.Heal)
		w.Write([]byte("ping again\n"))
		line, _ = r.ReadLine(app)
		fmt.Printf("%q at %v\n", line, l.Time())
		w.Close()

		_, _, err = streams.OpenConnection(app, "tcp", "cache:6379")
		fmt.Println("refused:", errors.Is(err, syscall.ECONNREFUSED))
		return nil
	}, looptest.WithNetwork())
	fmt.Println("failed:", rec.Failed())
	// Output:
	// connected at 50ms
	// "pong to ping\n" at 100ms
	// "pong to ping again\n" at 1m0.2s
	// refused: true
	// failed: false
}

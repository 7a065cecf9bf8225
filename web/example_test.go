package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/web"
)

// A server with two routes (Go 1.22 patterns) and a client calling it,
// on one loop, over looptest's simulated network: 10 ms each way
// between "app" and "api", in virtual time.
func Example() {
	rec := &looptest.Recorder{}
	looptest.Run(rec, func(ctx context.Context) error {
		l := looptest.Loop(ctx)
		looptest.NetworkOf(ctx).SetLink("app", "api", looptest.Link{Latency: 10 * time.Millisecond})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello, %s\n", r.PathValue("name"))
		})
		mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
			// The handler runs in a loop task: it may await.
			eventloop.Sleep(r.Context(), time.Second)
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "took a second to read %q\n", b)
		})
		srv := &web.Server{Handler: mux}
		if _, err := srv.Listen(ctx, "tcp", "api:80"); err != nil {
			return err
		}
		app := looptest.OnHost(ctx, "app")
		tr := &web.Transport{}
		c := &web.Client{Transport: tr}
		resp, err := c.Get(app, "http://api/hello/gopher")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %q at %v\n", resp.Status, b, l.Time())
		resp, err = c.Post(app, "http://api/slow", "text/plain", nil)
		if err != nil {
			return err
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %q at %v (one pooled connection: %d idle)\n", resp.Status, b, l.Time(), tr.IdleConns())
		tr.CloseIdleConnections()
		srv.Close()
		return srv.Shutdown(ctx)
	}, looptest.WithNetwork())
	fmt.Println("failed:", rec.Failed())
	// Output:
	// 200 OK "hello, gopher\n" at 40ms
	// 200 OK "took a second to read \"\"\n" at 1.06s (one pooled connection: 1 idle)
	// failed: false
}

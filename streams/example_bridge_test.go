package streams_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

func ExampleListen() {
	// net/http both ways over the loop's sockets: http.Server serves the
	// Listener view on a goroutine of its own, and an http.Client dials
	// through the loop's Dialer; the task calls the client through
	// ToThread, since Do blocks.
	task.Run(func(ctx context.Context) (struct{}, error) {
		ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello from %s", r.URL.Path)
		})}
		go srv.Serve(ln)
		tr := &http.Transport{DialContext: (&streams.Dialer{Loop: eventloop.LoopOf(ctx)}).DialContext}
		client := &http.Client{Transport: tr}
		body, err := task.ToThread(ctx, func(ctx context.Context) (string, error) {
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ln.Addr().String()+"/loop", nil)
			resp, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		})
		fmt.Println(body, err)
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) { return struct{}{}, srv.Close() })
		// Let the closes net/http posted finish before the loop closes.
		eventloop.Sleep(ctx, 100*time.Millisecond)
		return struct{}{}, err
	})
	// Output: hello from /loop <nil>
}

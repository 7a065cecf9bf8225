package looptest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/looptest"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// net/http over the simulated network, through the net.Conn views: an
// http.Server on a Listener view at "web:80", an http.Client dialing
// through the loop's Dialer from a ToThread goroutine.
func TestNetHTTPOverSimulatedNetwork(t *testing.T) {
	looptest.Run(t, func(ctx context.Context) error {
		ln, err := streams.Listen(ctx, "tcp", "web:80")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "simulated "+r.URL.Path)
		})}
		go srv.Serve(ln)
		tr := &http.Transport{DialContext: (&streams.Dialer{Loop: looptest.Loop(ctx)}).DialContext}
		client := &http.Client{Transport: tr}
		body, err := task.ToThread(ctx, func(context.Context) (string, error) {
			var got []string
			for _, p := range []string{"/a", "/b"} {
				resp, err := client.Get("http://web:80" + p)
				if err != nil {
					return "", err
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return "", err
				}
				got = append(got, string(b))
			}
			tr.CloseIdleConnections()
			return strings.Join(got, ", "), srv.Close()
		})
		if err != nil {
			return err
		}
		if body != "simulated /a, simulated /b" {
			t.Errorf("bodies %q", body)
		}
		// The closes posted by net/http's goroutines end the views'
		// last Reads on the loop's next iterations.
		return eventloop.Sleep(ctx, time.Second)
	}, looptest.WithNetwork())
}

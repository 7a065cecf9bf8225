package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/web"
)

// httpServer: a web.Server with two routes on http.ServeMux (Go 1.22
// patterns) and a web.Client calling it, on one loop.
func (t *tour) httpServer() error {
	t.stop("HTTP on the loop: a server with two routes and a client, package web")
	return t.runTasks(func(ctx context.Context) error {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
		})
		mux.HandleFunc("POST /wait", func(w http.ResponseWriter, r *http.Request) {
			// The handler is a loop task: it awaits the loop's clock.
			d, _ := time.ParseDuration(r.URL.Query().Get("d"))
			if err := eventloop.Sleep(r.Context(), d); err != nil {
				return
			}
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "waited %v for %q", d, b)
		})
		srv := &web.Server{Handler: mux}
		addr, err := srv.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		t.say("server listening on 127.0.0.1 (a free port)")
		base := "http://" + addr.String()
		tr := &web.Transport{}
		c := &web.Client{Transport: tr}
		show := func(resp *http.Response, err error) error {
			if err != nil {
				return err
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.say("at %v: %s %q", now(ctx), resp.Status, b)
			return err
		}
		if err := show(c.Get(ctx, base+"/hello/gopher")); err != nil {
			return err
		}
		if err := show(c.Post(ctx, base+"/wait?d=2s", "text/plain", strings.NewReader("patience"))); err != nil {
			return err
		}
		if err := show(c.Get(ctx, base+"/nowhere")); err != nil {
			return err
		}
		t.say("three requests, %d pooled connection", tr.IdleConns())
		tr.CloseIdleConnections()
		return srv.Shutdown(ctx)
	})
}

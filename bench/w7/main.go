// Command w7 is our W7 (HTTP/1.1 server) program: a web.Server on one
// loop, listening on 127.0.0.1:PORT (backlog 1024), with an http.ServeMux:
// GET / answers "Hello, World!\n", GET /16k 16,384 bytes, both with
// Content-Length; anything else 404. It serves until SIGTERM and prints
// nothing on success; the load tool (wrk) measures.
//
// Usage: w7 PORT
//
// W7_CPUPROFILE=file writes a CPU profile of the run.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
	"github.com/aio-go/aio/web"
)

var (
	hello = []byte("Hello, World!\n")
	big   = bytes.Repeat([]byte("x"), 16384)
)

func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"text/plain"}
		h["Content-Length"] = []string{"14"}
		w.Write(hello)
	})
	m.HandleFunc("GET /16k", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Content-Length"] = []string{"16384"}
		w.Write(big)
	})
	return m
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "FAIL: usage: w7 PORT")
		os.Exit(2)
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: bad port:", err)
		os.Exit(2)
	}
	if f := os.Getenv("W7_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err == nil {
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
	}
	_, err = task.Run(func(ctx context.Context) (int, error) {
		l := eventloop.LoopOf(ctx)
		main := eventloop.CurrentTask(ctx)
		if err := l.AddSignalHandler(syscall.SIGTERM, func() { main.Cancel() }); err != nil {
			return 0, err
		}
		defer l.RemoveSignalHandler(syscall.SIGTERM)
		srv := &web.Server{Handler: mux()}
		err := srv.Serve(ctx, "tcp4", fmt.Sprintf("127.0.0.1:%d", port),
			streams.WithServerOptions(transport.WithBacklog(1024)))
		if ctx.Err() != nil {
			return 0, nil // SIGTERM: a normal end
		}
		return 0, err
	})
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

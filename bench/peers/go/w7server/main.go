// Command w7server is the net/http peer of W7 (HTTP/1.1 server): the same
// ServeMux routes as bench/w7 (GET / "Hello, World!\n", GET /16k 16,384
// bytes, Content-Length set), one goroutine per connection, on
// 127.0.0.1:PORT until SIGTERM. Run it with GOMAXPROCS=1 for the one-core
// row.
//
// Usage: w7server PORT
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

var (
	hello = []byte("Hello, World!\n")
	big   = bytes.Repeat([]byte("x"), 16384)
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "FAIL: usage: w7server PORT")
		os.Exit(2)
	}
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
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[1], Handler: m}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		<-ch
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

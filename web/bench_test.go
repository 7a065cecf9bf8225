package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
	"github.com/aio-go/aio/web"
)

// BenchmarkServerHello is the server's cost per keep-alive request over a
// loopback socket, client and server on one loop: a 14-byte answer with
// Content-Length. Its allocations are the server's and the client's
// (ReadUntil) together; the check catches a wrong answer.
func BenchmarkServerHello(b *testing.B) {
	hello := []byte("Hello, World!\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Length"] = []string{"14"}
		w.Write(hello)
	})
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		srv := &web.Server{Handler: h}
		a, err := srv.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(ctx, "tcp", a.String())
		if err != nil {
			return struct{}{}, err
		}
		defer w.Close()
		req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			w.Write(req)
			got, err := r.ReadUntil(ctx, hello)
			if err != nil || !bytes.HasPrefix(got, []byte("HTTP/1.1 200 OK\r\n")) {
				b.Fatalf("answer %q, %v", got, err)
			}
		}
		b.StopTimer()
		return struct{}{}, nil
	})
	if err := l.RunUntilComplete(tk); err != nil {
		b.Fatal(err)
	}
	if _, err := tk.Result(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkServerHelloConns is BenchmarkServerHello over many keep-alive
// connections at once (the client writes one request on each, then reads
// every answer): how the cost per request grows with the connections a
// loop holds. Client and server share the loop.
func BenchmarkServerHelloConns(b *testing.B) {
	for _, conns := range []int{50, 5000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) { benchHelloConns(b, conns) })
	}
}

func benchHelloConns(b *testing.B, conns int) {
	hello := []byte("Hello, World!\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Length"] = []string{"14"}
		w.Write(hello)
	})
	l, err := eventloop.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		srv := &web.Server{Handler: h}
		a, err := srv.Listen(ctx, "tcp", "127.0.0.1:0", streams.WithServerOptions(transport.WithBacklog(1024)))
		if err != nil {
			return struct{}{}, err
		}
		defer srv.Close()
		rs := make([]*streams.StreamReader, conns)
		ws := make([]*streams.StreamWriter, conns)
		for i := range conns {
			rs[i], ws[i], err = streams.OpenConnection(ctx, "tcp", a.String())
			if err != nil {
				return struct{}{}, err
			}
			defer ws[i].Close()
		}
		req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		b.ReportAllocs()
		b.ResetTimer()
		for done := 0; done < b.N; {
			k := min(conns, b.N-done)
			for i := range k {
				ws[i].Write(req)
			}
			for i := range k {
				got, err := rs[i].ReadUntil(ctx, hello)
				if err != nil || !bytes.HasPrefix(got, []byte("HTTP/1.1 200 OK\r\n")) {
					b.Fatalf("answer %q, %v", got, err)
				}
			}
			done += k
		}
		b.StopTimer()
		return struct{}{}, nil
	})
	if err := l.RunUntilComplete(tk); err != nil {
		b.Fatal(err)
	}
	if _, err := tk.Result(); err != nil {
		b.Fatal(err)
	}
}

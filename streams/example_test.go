package streams_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// An echo server and its client over an in-memory connection: the
// server handler runs as its own task, as StartServer runs it.
func ExamplePipe() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		client, server, err := streams.Pipe(ctx)
		if err != nil {
			return struct{}{}, err
		}
		task.Go(ctx, func(ctx context.Context) error {
			defer server.Writer.Close()
			for {
				line, err := server.Reader.ReadLine(ctx)
				if err != nil {
					return nil // EOF: the client is done
				}
				server.Writer.Write([]byte(strings.ToUpper(string(line))))
				if err := server.Writer.Drain(ctx); err != nil {
					return err
				}
			}
		})
		for _, msg := range []string{"hello\n", "streams\n"} {
			client.Writer.Write([]byte(msg))
			reply, _ := client.Reader.ReadLine(ctx)
			fmt.Print(string(reply))
		}
		client.Writer.WriteEOF()
		client.Reader.Read(ctx, -1) // until the server's EOF
		client.Writer.Close()
		return struct{}{}, client.Writer.WaitClosed(ctx)
	})
	// Output:
	// HELLO
	// STREAMS
}

// An echo server on TCP with StartServer, and OpenConnection.
func ExampleStartServer() {
	task.Run(func(ctx context.Context) (struct{}, error) {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			defer w.Close()
			line, _ := r.ReadLine(ctx)
			w.Write(line)
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return struct{}{}, err
		}
		defer w.Close()
		w.Write([]byte("ping\n"))
		reply, _ := r.ReadLine(ctx)
		fmt.Print(string(reply))
		return struct{}{}, nil
	})
	// Output: ping
}

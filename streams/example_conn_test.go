package streams_test

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// NewConn gives Go's io libraries a net.Conn over a connection's streams:
// here a line server written with bufio.Scanner and bufio.Writer, run as
// a loop task (the direct path: each Read and Write is an await).
func ExampleNewConn() {
	task.Main(func(ctx context.Context) error {
		srv, err := streams.StartServer(ctx, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
			c := streams.NewConn(ctx, r, w)
			defer c.Close()
			sc, bw := bufio.NewScanner(c), bufio.NewWriter(c)
			for n := 1; sc.Scan(); n++ {
				fmt.Fprintf(bw, "%d: %s\n", n, strings.ToUpper(sc.Text()))
				bw.Flush()
			}
		}, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		r, w, err := streams.OpenConnection(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer w.Close()
		for _, word := range []string{"alpha", "beta"} {
			w.Write([]byte(word + "\n"))
			line, err := r.ReadLine(ctx)
			if err != nil {
				return err
			}
			fmt.Print(string(line))
		}
		return nil
	})
	// Output:
	// 1: ALPHA
	// 2: BETA
}

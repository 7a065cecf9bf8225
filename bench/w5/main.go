// Command w5 is our W5 (TCP echo) server from docs/workloads.md: it listens on
// 127.0.0.1:PORT (backlog 1024, TCP_NODELAY on every accepted socket) and
// writes back every byte as it arrives, until SIGTERM.
//
// Usage: w5 protocol|streams|streams-read PORT
//
// Modes:
//   - protocol: asyncio's protocol server, Go spelling: DataReceived calls
//     transport.Write with the same bytes (transport.CreateServer).
//   - streams: the StreamReader/StreamWriter server (read 64 KiB, write,
//     drain), a task per connection (streams.StartServer). It reads with
//     ReadInto into one 64 KiB buffer per connection, as Go's net server
//     peer does, so a request allocates nothing.
//   - streams-read: the same with Read(ctx, 65536), asyncio's read(65536)
//     word for word: every read returns a new slice (one allocation).
//
// The load generator (bench/peers/go/w5load) measures; this program prints
// nothing on success. W5_CPUPROFILE=file writes a CPU profile of the run;
// W5_STATS=1 prints the loop's counters to stderr at the end.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/transport"
)

// modes maps a mode name to the function that serves addr until ctx's task
// is cancelled (by SIGTERM). Adding a mode is adding one function here.
var modes = map[string]func(ctx context.Context, addr string) error{
	"protocol":     serveProtocol,
	"streams":      serveStreams,
	"streams-read": serveStreamsRead,
}

// echo is the protocol mode's protocol: every chunk goes straight back.
type echo struct {
	transport.ProtocolBase
	t transport.Transport
}

func (e *echo) ConnectionMade(t transport.Transport) { e.t = t }
func (e *echo) DataReceived(b []byte)                { e.t.Write(b) }

func serveProtocol(ctx context.Context, addr string) error {
	srv, err := transport.CreateServer(ctx, func() *echo { return &echo{} }, "tcp4", addr,
		transport.WithBacklog(1024))
	if err != nil {
		return err
	}
	return srv.ServeForever(ctx)
}

// serveStreams is asyncio's streams echo server: a task per connection
// reads up to 64 KiB, writes it back and drains.
func serveStreams(ctx context.Context, addr string) error {
	return startStreams(ctx, addr, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
		defer w.Close()
		buf := make([]byte, 65536)
		for {
			n, err := r.ReadInto(ctx, buf)
			if err != nil {
				return
			}
			w.Write(buf[:n])
			if err := w.Drain(ctx); err != nil {
				return
			}
		}
	})
}

// serveStreamsRead is serveStreams with Read, which allocates the slice it
// returns.
func serveStreamsRead(ctx context.Context, addr string) error {
	return startStreams(ctx, addr, func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter) {
		defer w.Close()
		for {
			data, err := r.Read(ctx, 65536)
			if err != nil {
				return
			}
			w.Write(data)
			if err := w.Drain(ctx); err != nil {
				return
			}
		}
	})
}

func startStreams(ctx context.Context, addr string, handler func(ctx context.Context, r *streams.StreamReader, w *streams.StreamWriter)) error {
	srv, err := streams.StartServer(ctx, handler, "tcp4", addr, streams.WithServerOptions(transport.WithBacklog(1024)))
	if err != nil {
		return err
	}
	return srv.ServeForever(ctx)
}

func main() {
	mode := report.Arg(0, "")
	serve := modes[mode]
	if serve == nil {
		report.Fail("usage: w5 protocol|streams|streams-read PORT (got mode %q)", mode)
	}
	port := report.IntArg(1, 8888)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if path := os.Getenv("W5_CPUPROFILE"); path != "" { // for profiling runs, not the driver
		f, err := os.Create(path)
		if err != nil {
			report.Fail("W5_CPUPROFILE: %v", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	_, err := task.Run(func(ctx context.Context) (int, error) {
		l := eventloop.LoopOf(ctx)
		main := eventloop.CurrentTask(ctx)
		if err := l.AddSignalHandler(syscall.SIGTERM, func() { main.Cancel() }); err != nil {
			return 0, err
		}
		defer l.RemoveSignalHandler(syscall.SIGTERM)
		if os.Getenv("W5_STATS") != "" { // for analysis runs, not the driver
			defer func() {
				st := l.Stats()
				fmt.Fprintf(os.Stderr, "loop stats: iterations %d callbacks %d polls %d io_events %d\n",
					st.Iterations, st.Callbacks, st.Polls, st.IOEvents)
			}()
		}
		err := serve(ctx, addr)
		if ctx.Err() != nil {
			return 0, nil // SIGTERM: a normal end
		}
		return 0, err
	})
	if err != nil {
		pprof.StopCPUProfile()
		report.Fail("%v", err)
	}
}

//go:build unix

package subprocess

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// pipeProto records pipe data and the order of the callbacks.
type recProto struct {
	SubprocessProtocolBase
	out, errb bytes.Buffer
	events    []string
	done      *eventloop.Future[struct{}]
}

func (p *recProto) PipeDataReceived(fd int, b []byte) {
	if fd == 1 {
		p.out.Write(b)
	} else {
		p.errb.Write(b)
	}
}
func (p *recProto) PipeConnectionLost(fd int, err error) {
	p.events = append(p.events, fmt.Sprintf("pipe %d lost %v", fd, err))
}
func (p *recProto) ProcessExited() { p.events = append(p.events, "exited") }
func (p *recProto) ConnectionLost(err error) {
	p.events = append(p.events, fmt.Sprintf("lost %v", err))
	p.done.SetResult(struct{}{})
}

func TestPipesLowLevel(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("cat2")
			p := &recProto{done: eventloop.NewFuture[struct{}](eventloop.LoopOf(ctx))}
			tr, _, err := ExecTransport(ctx, func() *recProto { return p }, name, args, env,
				WithStdin(Pipe), WithStdout(Pipe), WithStderr(Pipe))
			if err != nil {
				return err
			}
			in := tr.PipeTransport(0)
			if in == nil || tr.PipeTransport(1) == nil || tr.PipeTransport(2) == nil || tr.PipeTransport(3) != nil {
				t.Fatalf("pipe transports missing")
			}
			want := strings.Repeat("hello pipes ", 10000)
			if err := in.Write([]byte(want)); err != nil {
				return err
			}
			if err := in.Close(); err != nil { // flushes, then EOF for the child
				return err
			}
			if _, err := eventloop.Await(ctx, p.done); err != nil {
				return err
			}
			if p.out.String() != want {
				t.Errorf("stdout: %d bytes, want %d", p.out.Len(), len(want))
			}
			if p.errb.String() != strings.ToUpper(want) {
				t.Errorf("stderr: %d bytes, want %d upper-cased", p.errb.Len(), len(want))
			}
			if last := p.events[len(p.events)-1]; last != "lost <nil>" {
				t.Errorf("ConnectionLost was not last: %q", p.events)
			}
			if len(p.events) != 5 {
				t.Errorf("events %q, want 3 pipe losses, the exit, then lost", p.events)
			}
			rc, ok := tr.ReturnCode()
			if !ok || rc != 0 {
				t.Errorf("ReturnCode = %d, %v", rc, ok)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A child that stops reading its stdin: the parent's writes fail with a
// clear error (EPIPE), and the parent is not killed by SIGPIPE.
func TestWriteToChildThatClosedStdin(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("closeall")
		p := &recProto{done: eventloop.NewFuture[struct{}](eventloop.LoopOf(ctx))}
		tr, _, err := ExecTransport(ctx, func() *recProto { return p }, name, args, env,
			WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		in := tr.PipeTransport(0)
		// Wait until the child closed its stdout (so its stdin is closed too).
		for !strings.Contains(strings.Join(p.events, ";"), "pipe 1 lost") {
			if err := eventloop.Sleep(ctx, 1e6); err != nil {
				return err
			}
		}
		chunk := bytes.Repeat([]byte("x"), 1<<16)
		var werr error
		for i := 0; i < 100 && werr == nil; i++ {
			werr = in.Write(chunk)
			eventloop.Sleep(ctx, 0)
		}
		if werr == nil {
			t.Fatalf("writes to a closed pipe kept succeeding")
		}
		if !errors.Is(werr, syscall.EPIPE) && !errors.Is(werr, transport.ErrTransportClosed) {
			t.Errorf("write error = %v, want EPIPE or ErrTransportClosed", werr)
		}
		joined := strings.Join(p.events, ";")
		if !strings.Contains(joined, "pipe 0 lost") || !strings.Contains(joined, "broken pipe") {
			t.Errorf("stdin loss not reported with EPIPE: %q", p.events)
		}
		tr.Kill()
		_, err = tr.Wait(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

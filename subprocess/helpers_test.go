//go:build unix

package subprocess

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// run runs main with task.Run on the real clock (children are real
// processes) and the strict exception handler.
func run(t *testing.T, main func(ctx context.Context) error, opts ...eventloop.Option) error {
	t.Helper()
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, append([]eventloop.Option{eventloop.WithExceptionHandler(testkit.StrictHandler(t))}, opts...)...)
	return err
}

// bothWatchers runs f once with pidfds (where the kernel has them) and once
// with the SIGCHLD watcher.
func bothWatchers(t *testing.T, f func(t *testing.T)) {
	t.Run("pidfd", func(t *testing.T) {
		if !usePidfd {
			t.Skip("no pidfd on this OS")
		}
		f(t)
	})
	t.Run("sigchld", func(t *testing.T) {
		old := usePidfd
		usePidfd = false
		defer func() { usePidfd = old }()
		f(t)
	})
}

// exitProto records the low-level callbacks.
type exitProto struct {
	SubprocessProtocolBase
	events []string
	t      *Transport
}

func (p *exitProto) ConnectionMade(t *Transport) { p.t = t; p.events = append(p.events, "made") }
func (p *exitProto) ProcessExited()              { p.events = append(p.events, "exited") }
func (p *exitProto) ConnectionLost(err error) {
	if err != nil {
		p.events = append(p.events, "lost "+err.Error())
		return
	}
	p.events = append(p.events, "lost")
}

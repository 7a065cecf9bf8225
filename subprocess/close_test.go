//go:build unix

package subprocess

import (
	"context"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

// fdSet lists the descriptors above 2 open in this process.
func fdSet() map[int]bool {
	open := map[int]bool{}
	for fd := 3; fd < 4096; fd++ {
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) == nil {
			open[fd] = true
		}
	}
	return open
}

// A child's exit does not close its pipes while a grandchild holds them:
// after Wait the Stdin and Stdout pipes are still open, and Close releases
// every descriptor Exec opened. Close is idempotent, and Wait after Close
// still has the status.
func TestProcessCloseLeavesNoFD(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		err := run(t, func(ctx context.Context) error {
			before := fdSet()
			name, args, env := helper("grandchild")
			p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
			if err != nil {
				return err
			}
			if line, err := p.Stdout.ReadLine(ctx); err != nil || string(line) != "started\n" {
				t.Errorf("ReadLine = %q, %v", line, err)
			}
			if rc, err := p.Wait(ctx); err != nil || rc != 0 {
				t.Errorf("Wait = %d, %v", rc, err)
			}
			if len(fdSet()) <= len(before) {
				t.Errorf("after Wait no pipe is open; the test cannot see what Close releases")
			}
			if err := p.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := p.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if rc, err := p.Wait(ctx); err != nil || rc != 0 {
				t.Errorf("Wait after Close = %d, %v", rc, err)
			}
			// A transport closes its descriptor on the loop iteration after
			// Close, once ConnectionLost has run (as asyncio's do).
			for range 3 {
				eventloop.Sleep(ctx, 0)
			}
			for fd := range fdSet() {
				if !before[fd] {
					t.Errorf("fd %d left open after Close", fd)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Close of a running child kills it; Wait then reports SIGKILL and no
// descriptor is left.
func TestProcessCloseKillsRunningChild(t *testing.T) {
	err := run(t, func(ctx context.Context) error {
		before := fdSet()
		name, args, env := helper("hang")
		p, err := Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
		if err != nil {
			return err
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if rc, err := p.Wait(ctx); err != nil || rc != -int(syscall.SIGKILL) {
			t.Errorf("Wait = %d, %v; want %d", rc, err, -int(syscall.SIGKILL))
		}
		for fd := range fdSet() {
			if !before[fd] {
				t.Errorf("fd %d left open after Close and Wait", fd)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

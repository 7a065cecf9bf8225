//go:build unix

package files_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/internal/testkit"
)

// A Read blocked on a FIFO (which os polls) is interrupted by the
// cancellation, loses nothing, and the next Read works.
func TestCancelReadOnAFIFO(t *testing.T) {
	name := filepath.Join(tempDir(t), "fifo")
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	run(t, func(ctx context.Context) error {
		f, err := files.OpenFile(ctx, name, os.O_RDWR, 0) // RDWR: the open does not wait for a writer
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		rd := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, make([]byte, 10))
			return rw{n, err}, nil
		})
		testkit.Yield(ctx, 20)
		rd.Cancel()
		r, _ := eventloop.Await(ctx, rd)
		testkit.Want(t, "cancelled Read", fmt.Sprint(r.n, testkit.IsCancelled(r.err)), "0 true")
		if _, err := f.Write(ctx, []byte("ping")); err != nil {
			return err
		}
		p := make([]byte, 10)
		n, err := f.Read(ctx, p)
		testkit.Want(t, "next Read", fmt.Sprintf("%q %v", p[:n], err), `"ping" <nil>`)
		return nil
	})
}

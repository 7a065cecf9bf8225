package files_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
)

// run runs body as the main task of a fresh loop (virtual clock, strict
// exception handler) and checks that no descriptor is left open.
func run(t *testing.T, body func(ctx context.Context) error, opts ...eventloop.Option) {
	t.Helper()
	before := openFDs(t)
	testkit.Run(t, body, opts...)
	if after := openFDs(t); after > before {
		t.Errorf("descriptors open: %d before, %d after", before, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		return 0 // no descriptor table to count (and Wine's /proc is the host's)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// until yields to the loop until cond holds; it fails after 10 s of wall
// time (a worker that never gets there), which no passing run comes near.
func until(ctx context.Context, cond func() bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("until: condition not met in 10 s")
		}
		if err := eventloop.Sleep(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

func tempFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(tempDir(t), name)
	if data != nil {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func errorsIsClosed(err error) bool { return errors.Is(err, fs.ErrClosed) }

// The runtime's poller (an epoll descriptor and an eventfd) opens the
// first time os sees a pollable file; open it before any test counts
// descriptors.
func init() {
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
}

// tempDir is t.TempDir, with a cleanup that removes one entry at a time:
// under Wine, os.RemoveAll fails ("Invalid function") where os.Remove
// works.
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "files-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			paths = append(paths, p)
			return nil
		})
		for i := len(paths) - 1; i >= 0; i-- {
			os.Remove(paths[i])
		}
	})
	return dir
}

package files_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/internal/testkit"
)

type rw struct {
	n   int
	err error
}

// Calls on one File made by several tasks run in the order they were
// made: the first is held on its worker while the others queue behind it,
// and the pool has workers to spare, so only the file's own queue keeps
// them in order.
func TestCallsOnAFileRunInOrder(t *testing.T) {
	name := tempFile(t, "fifo", nil)
	run(t, func(ctx context.Context) error {
		f, err := files.Create(ctx, name)
		if err != nil {
			return err
		}
		g, unhook := files.BlockNext()
		defer unhook()
		var ws []eventloop.Waitable
		for i := range 8 {
			ws = append(ws, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				return f.Write(ctx, []byte{byte('a' + i)})
			}))
			if i == 0 {
				if err := until(ctx, g.Entered); err != nil {
					return err
				}
			} else {
				eventloop.Sleep(ctx, 0) // task i makes its call before task i+1
			}
		}
		g.Release()
		for _, w := range ws {
			if err := eventloop.WaitDone(ctx, w); err != nil {
				return err
			}
		}
		return f.Close(ctx)
	}, files.WithWorkers(8))
	got, _ := os.ReadFile(name)
	testkit.Want(t, "contents", string(got), "abcdefgh")
}

// A Read queued behind another call of its file is taken back: nothing
// read, the offset unchanged.
func TestCancelReadQueuedBehindTheFile(t *testing.T) {
	name := tempFile(t, "q", []byte("0123456789"))
	run(t, func(ctx context.Context) error {
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		g, unhook := files.BlockNext()
		defer unhook()
		defer f.Close(ctx)
		first := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, make([]byte, 2))
			return rw{n, err}, nil
		})
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		p := make([]byte, 3)
		second := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, p)
			return rw{n, err}, nil
		})
		eventloop.Sleep(ctx, 0)
		second.Cancel()
		r2, _ := eventloop.Await(ctx, second)
		testkit.Want(t, "cancelled Read", fmt.Sprint(r2.n, testkit.IsCancelled(r2.err)), "0 true")
		g.Release()
		r1, _ := eventloop.Await(ctx, first)
		testkit.Want(t, "first Read", fmt.Sprint(r1.n, r1.err), "2 <nil>")
		n, err := f.Read(ctx, p)
		testkit.Want(t, "next Read", fmt.Sprintf("%q %v", p[:n], err), `"234" <nil>`)
		return nil
	})
}

// A Read queued in the pool (its one worker busy with another file) is
// taken back: it never runs.
func TestCancelReadQueuedInThePool(t *testing.T) {
	name := tempFile(t, "q", []byte("0123456789"))
	other := tempFile(t, "other", []byte("x"))
	run(t, func(ctx context.Context) error {
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		g, unhook := files.BlockNext()
		defer unhook()
		busy := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			_, err := files.Stat(ctx, other)
			return 0, err
		})
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		rd := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, make([]byte, 4))
			return rw{n, err}, nil
		})
		eventloop.Sleep(ctx, 0)
		rd.Cancel()
		r, _ := eventloop.Await(ctx, rd)
		testkit.Want(t, "cancelled Read", fmt.Sprint(r.n, testkit.IsCancelled(r.err)), "0 true")
		g.Release()
		if _, err := eventloop.Await(ctx, busy); err != nil {
			return err
		}
		off, err := f.Seek(ctx, 0, io.SeekCurrent)
		testkit.Want(t, "offset", fmt.Sprint(off, err), "0 <nil>")
		return nil
	}, files.WithWorkers(1))
}

// A Read cancelled while its system call runs waits for it: the task
// does not return while the worker may still write into p, and the bytes
// read come back with the cancellation, the offset moved by as many.
func TestCancelReadRunning(t *testing.T) {
	name := tempFile(t, "r", []byte("0123456789"))
	run(t, func(ctx context.Context) error {
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		g, unhook := files.BlockNext()
		defer unhook()
		defer f.Close(ctx)
		p := make([]byte, 4)
		rd := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, p)
			return rw{n, err}, nil
		})
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		rd.Cancel()
		testkit.Yield(ctx, 10)
		if rd.Done() {
			t.Error("a Read returned while its system call was held")
		}
		g.Release()
		r, _ := eventloop.Await(ctx, rd)
		testkit.Want(t, "cancelled Read", fmt.Sprintf("%q %v", p[:r.n], testkit.IsCancelled(r.err)), `"0123" true`)
		off, err := f.Seek(ctx, 0, io.SeekCurrent)
		testkit.Want(t, "offset", fmt.Sprint(off, err), "4 <nil>")
		return nil
	})
}

// A Write cancelled while it runs finishes the chunk in its system call
// and writes no further one.
func TestCancelWriteRunningStopsAtAChunk(t *testing.T) {
	name := tempFile(t, "w", nil)
	data := bytes.Repeat([]byte{'w'}, 3<<20)
	run(t, func(ctx context.Context) error {
		f, err := files.Create(ctx, name)
		if err != nil {
			return err
		}
		g, unhook := files.BlockNext()
		defer unhook()
		defer f.Close(ctx)
		wr := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Write(ctx, data)
			return rw{n, err}, nil
		})
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		wr.Cancel()
		// The cancellation reaches the Write when its task next runs on
		// the loop; let it run before the held chunk goes on, or the
		// worker may write every chunk first.
		if err := testkit.Yield(ctx, 2); err != nil {
			return err
		}
		g.Release()
		r, _ := eventloop.Await(ctx, wr)
		testkit.Want(t, "cancelled Write", fmt.Sprint(r.n, testkit.IsCancelled(r.err)), fmt.Sprint(1<<20, true))
		fi, err := f.Stat(ctx)
		if err != nil {
			return err
		}
		off, _ := f.Seek(ctx, 0, io.SeekCurrent)
		testkit.Want(t, "size and offset", fmt.Sprint(fi.Size(), off), fmt.Sprint(1<<20, 1<<20))
		return nil
	})
}

// A path call cancelled while queued never runs; one cancelled while it
// runs returns at once and completes on its worker.
func TestCancelPathCalls(t *testing.T) {
	dir := tempDir(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		os.WriteFile(p, nil, 0o644)
	}
	g, unhook := files.BlockNext()
	defer unhook()
	run(t, func(ctx context.Context) error {
		running := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, files.Remove(ctx, a) })
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		queued := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, files.Remove(ctx, b) })
		eventloop.Sleep(ctx, 0)
		queued.Cancel()
		running.Cancel()
		for _, tk := range []*eventloop.Task[int]{running, queued} {
			if _, err := eventloop.Await(ctx, tk); !testkit.IsCancelled(err) {
				t.Errorf("Remove: %v, want a cancellation", err)
			}
		}
		g.Release()
		// The held remove completes; the queued one never runs.
		return until(ctx, func() bool { _, err := os.Stat(a); return err != nil })
	}, files.WithWorkers(1))
	if _, err := os.Stat(b); err != nil {
		t.Errorf("the Remove cancelled while queued ran: %v", err)
	}
}

// An open cancelled while it runs closes the file it opened, on its
// worker (run checks that no descriptor is left).
func TestCancelOpenRunningClosesTheFile(t *testing.T) {
	name := tempFile(t, "o", []byte("x"))
	g, unhook := files.BlockNext()
	defer unhook()
	run(t, func(ctx context.Context) error {
		op := eventloop.Spawn(ctx, func(ctx context.Context) (*files.File, error) { return files.Open(ctx, name) })
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		op.Cancel()
		if f, err := eventloop.Await(ctx, op); f != nil || !testkit.IsCancelled(err) {
			t.Errorf("Open = %v, %v; want nil and a cancellation", f, err)
		}
		before := openFDs(t)
		g.Release()
		// The pool's one worker takes calls in order: once this Stat is
		// done, the open ran and closed what it opened.
		if _, err := files.Stat(ctx, name); err != nil {
			return err
		}
		if after := openFDs(t); after != before {
			t.Errorf("descriptors: %d before the open ran, %d after", before, after)
		}
		return nil
	}, files.WithWorkers(1))
}

// Close waits for the calls made before it, which complete; calls made
// after it fail at once.
func TestCloseWaitsForEarlierCalls(t *testing.T) {
	name := tempFile(t, "c", []byte("abc"))
	run(t, func(ctx context.Context) error {
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		g, unhook := files.BlockNext()
		defer unhook()
		p := make([]byte, 3)
		rd := eventloop.Spawn(ctx, func(ctx context.Context) (rw, error) {
			n, err := f.Read(ctx, p)
			return rw{n, err}, nil
		})
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		cl := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, f.Close(ctx) })
		eventloop.Sleep(ctx, 0)
		if _, err := f.Read(ctx, p); !errorsIsClosed(err) {
			t.Errorf("Read after Close: %v, want fs.ErrClosed", err)
		}
		testkit.Yield(ctx, 5)
		if cl.Done() {
			t.Error("Close returned while an earlier Read ran")
		}
		g.Release()
		r, _ := eventloop.Await(ctx, rd)
		testkit.Want(t, "earlier Read", fmt.Sprintf("%q %v", p[:r.n], r.err), `"abc" <nil>`)
		_, err = eventloop.Await(ctx, cl)
		return err
	})
}

// A cancelled Close closes the file all the same.
func TestCancelledCloseStillCloses(t *testing.T) {
	name := tempFile(t, "cc", []byte("abc"))
	run(t, func(ctx context.Context) error {
		before := openFDs(t)
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := f.Close(cctx); !testkit.IsCancelled(err) {
			t.Errorf("Close on a cancelled ctx: %v", err)
		}
		if err := until(ctx, func() bool { return files.IsClosed(f) && openFDs(t) == before }); err != nil {
			return err
		}
		if _, err := f.Read(ctx, make([]byte, 1)); !errorsIsClosed(err) {
			t.Errorf("Read after a cancelled Close: %v", err)
		}
		return nil
	})
}

// While a call is held in its system call, the loop runs other tasks: the
// call is not on the loop goroutine.
func TestTheLoopRunsWhileACallBlocks(t *testing.T) {
	name := tempFile(t, "b", []byte("abc"))
	g, unhook := files.BlockNext()
	defer unhook()
	run(t, func(ctx context.Context) error {
		rd := eventloop.Spawn(ctx, func(ctx context.Context) ([]byte, error) { return files.ReadFile(ctx, name) })
		if err := until(ctx, g.Entered); err != nil {
			return err
		}
		ticks := 0
		ticker := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			for range 100 {
				eventloop.Sleep(ctx, 0)
				ticks++
			}
			return ticks, nil
		})
		if _, err := eventloop.Await(ctx, ticker); err != nil {
			return err
		}
		if rd.Done() {
			t.Error("ReadFile done while held")
		}
		g.Release()
		got, err := eventloop.Await(ctx, rd)
		testkit.Want(t, "ReadFile", fmt.Sprintf("%q %v %d", got, err, ticks), `"abc" <nil> 100`)
		return nil
	})
}

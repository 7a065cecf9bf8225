package files_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// Loop.Close names a file left open and closes it.
func TestLoopCloseReportsOpenFiles(t *testing.T) {
	name := tempFile(t, "left-open", []byte("x"))
	before := openFDs(t)
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (*files.File, error) { return files.Open(ctx, name) })
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	f, err := tk.Result()
	if err != nil {
		t.Fatal(err)
	}
	err = l.Close()
	var alive *eventloop.AliveError
	if !errors.As(err, &alive) || len(alive.Resources) != 1 || alive.Resources[0] != f.String() ||
		!strings.HasPrefix(f.String(), "file ") || !strings.HasSuffix(f.String(), " "+name) {
		t.Errorf("Close = %v; want an AliveError naming %q", err, f.String())
	}
	if after := openFDs(t); after != before {
		t.Errorf("descriptors: %d before, %d after Close", before, after)
	}
}

// A File closed by the program is not reported.
func TestClosedFileIsNotReported(t *testing.T) {
	name := tempFile(t, "closed", []byte("x"))
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		f, err := files.Open(ctx, name)
		if err != nil {
			return 0, err
		}
		return 0, f.Close(ctx)
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Result(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// Calls from outside a task, or from a task of another loop, fail clearly.
func TestMisuse(t *testing.T) {
	name := tempFile(t, "m", []byte("x"))
	if _, err := files.Open(context.Background(), name); !errors.Is(err, eventloop.ErrNotInTask) ||
		!strings.HasPrefix(err.Error(), "files: OpenFile: ") {
		t.Errorf("Open outside a task: %v", err)
	}
	var nilFile *files.File
	run(t, func(ctx context.Context) error {
		if _, err := nilFile.Read(ctx, nil); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Read of a nil File: %v", err)
		}
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		// A plain goroutine with the task's ctx, while the task is parked.
		_, err = task.ToThread(ctx, func(context.Context) (int, error) { return f.Read(ctx, make([]byte, 1)) })
		if !errors.Is(err, eventloop.ErrNotInTask) || !strings.HasPrefix(err.Error(), "files: File.Read: ") {
			t.Errorf("Read from a goroutine: %v", err)
		}
		_, err = task.ToThread(ctx, func(context.Context) (int, error) { return 0, f.Close(ctx) })
		if !errors.Is(err, eventloop.ErrNotInTask) {
			t.Errorf("Close from a goroutine: %v", err)
		}
		// A task of another loop.
		other, err2 := eventloop.New()
		if err2 != nil {
			return err2
		}
		defer other.Close()
		tk := eventloop.Spawn(other.Context(), func(octx context.Context) (int, error) { return f.Read(octx, make([]byte, 1)) })
		// The other loop runs on a goroutine of its own: a loop does not
		// run inside another loop's task.
		task.ToThread(ctx, func(context.Context) (int, error) { return 0, other.RunUntilComplete(tk) })
		if _, err := tk.Result(); !errors.Is(err, eventloop.ErrWrongLoop) {
			t.Errorf("Read from another loop's task: %v", err)
		}
		return nil
	})
}

func TestLines(t *testing.T) {
	long := strings.Repeat("L", 100_000) // longer than a read
	text := "one\r\ntwo\n\n" + long + "\nlast"
	name := tempFile(t, "lines", []byte(text))
	run(t, func(ctx context.Context) error {
		f, err := files.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		var got []string
		for line, err := range f.Lines(ctx) {
			if err != nil {
				return err
			}
			got = append(got, line)
		}
		testkit.Want(t, "lines", got, []string{"one", "two", "", long, "last"})

		// Break after the second line: the offset is just after it.
		if _, err := f.Seek(ctx, 0, io.SeekStart); err != nil {
			return err
		}
		n := 0
		for _, err := range f.Lines(ctx) {
			if err != nil {
				return err
			}
			if n++; n == 2 {
				break
			}
		}
		rest := make([]byte, 4)
		k, err := f.Read(ctx, rest)
		testkit.Want(t, "read after break", fmt.Sprintf("%q %v", rest[:k], err), fmt.Sprintf("%q <nil>", "\n"+long[:3]))
		return nil
	})
}

// The IO view works with bufio and io.Copy, as a stream does.
func TestIOView(t *testing.T) {
	src := tempFile(t, "src", nil)
	dst := tempFile(t, "dst", nil)
	data := bytes.Repeat([]byte("line of text\n"), 100_000) // 1.3 MB
	os.WriteFile(src, data, 0o644)
	run(t, func(ctx context.Context) error {
		in, err := files.Open(ctx, src)
		if err != nil {
			return err
		}
		defer in.Close(ctx)
		out, err := files.Create(ctx, dst)
		if err != nil {
			return err
		}
		n, err := io.Copy(out.IO(ctx), in.IO(ctx))
		if n != int64(len(data)) || err != nil {
			t.Errorf("io.Copy = %d, %v", n, err)
		}
		bw := bufio.NewWriter(out.IO(ctx))
		fmt.Fprintf(bw, "tail %d\n", 42)
		if err := bw.Flush(); err != nil {
			return err
		}
		if _, err := out.Seek(ctx, 0, io.SeekStart); err != nil {
			return err
		}
		sc := bufio.NewScanner(out.IO(ctx))
		lines, last := 0, ""
		for sc.Scan() {
			lines++
			last = sc.Text()
		}
		testkit.Want(t, "scanned", fmt.Sprintf("%d %s %v", lines, last, sc.Err()), "100001 tail 42 <nil>")
		return out.Close(ctx)
	})
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, append(data, "tail 42\n"...)) {
		t.Errorf("dst holds %d bytes, want %d", len(got), len(data)+8)
	}
}

// The pool starts no more workers than it is allowed, and they end with
// the loop (goleak checks the end).
func TestPoolBound(t *testing.T) {
	dir := tempDir(t)
	run(t, func(ctx context.Context) error {
		var ws []eventloop.Waitable
		for i := range 50 {
			ws = append(ws, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, files.WriteFile(ctx, fmt.Sprintf("%s/%d", dir, i), []byte("x"), 0o644)
			}))
		}
		for _, w := range ws {
			eventloop.WaitDone(ctx, w)
			if err := w.Err(); err != nil {
				return err
			}
		}
		if n := files.PoolWorkers(eventloop.LoopOf(ctx)); n < 1 || n > 3 {
			t.Errorf("%d workers, want 1 to 3", n)
		}
		return nil
	}, files.WithWorkers(3))
}

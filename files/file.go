package files

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// chunk is the most a worker reads or writes in one system call. Between
// chunks it looks whether the awaiting task was cancelled, so a cancelled
// call of any size stops within one chunk (about a millisecond from the
// page cache).
const chunk = 1 << 20

// File is an open file of a loop, for its tasks: the *os.File's methods as
// awaits, each run on a worker of the loop's files pool (see doc.go) so
// that the loop never waits for a disk.
//
// Calls on one File run one at a time, in the order they were made, even
// when several tasks make them (FIFO): a Read issued after a Seek reads
// from the new offset. A File belongs to the loop it was opened on; its
// methods are for that loop's tasks, with a ctx of the calling task (a
// call from any other goroutine, or with the ctx of a task that is not
// running, fails with an error wrapping eventloop.ErrNotInTask). The zero
// File is not usable; a nil *File's methods return fs.ErrInvalid.
//
// Errors are the os package's: *fs.PathError with the op and the name
// ("read data.txt: is a directory"), so errors.Is(err, fs.ErrNotExist)
// works; a call on a closed File fails with a *fs.PathError wrapping
// fs.ErrClosed, as os does.
//
// Until Close, the File is one of the loop's resources: Loop.Close names
// it ("file 7 data.txt") in its AliveError and closes it.
type File struct {
	loop     *eventloop.Loop
	pool     *pool
	os       *os.File
	name     string
	fd       uintptr
	regular  bool // a regular file: reads go on chunk after chunk
	pollable bool // os polls it (a pipe, a FIFO, a terminal): deadlines interrupt it
	// cut is set when a deadline interrupted a call: the next call clears
	// the deadline first. Written on the loop, read by workers.
	cut atomic.Bool

	// Loop goroutine only.
	inflight *job   // the call on a worker now, or nil
	waiting  []*job // calls behind it, in order
	closing  bool   // Close was called: later calls fail
	closed   bool   // the descriptor is closed
}

// Open opens the named file for reading (os.Open, aiofiles.open(name)).
// It is OpenFile(ctx, name, os.O_RDONLY, 0).
//
// Cancellation: as OpenFile.
func Open(ctx context.Context, name string) (*File, error) {
	return OpenFile(ctx, name, os.O_RDONLY, 0)
}

// Create creates or truncates the named file for reading and writing, mode
// 0666 before umask (os.Create, aiofiles.open(name, "w+")). It is
// OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0666).
//
// Cancellation: as OpenFile.
func Create(ctx context.Context, name string) (*File, error) {
	return OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_WRONLY or
// os.O_RDWR, or'ed with os.O_APPEND, os.O_CREATE, os.O_EXCL, os.O_TRUNC,
// os.O_SYNC) and, when it creates the file, permissions perm before umask:
// os.OpenFile on a worker of the loop's files pool. Errors are
// *fs.PathError with Op "open".
//
// Cancellation: returns eventloop.ErrCancelled (ErrTimeout in a timed-out
// scope) at once. If the open had not started, it never runs. If it was
// running it completes on its worker and the file it opened is closed
// there: with os.O_CREATE the file may have been created (or, with
// os.O_TRUNC, truncated) all the same.
func OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	p, pk, err := begin(ctx, "OpenFile")
	if err != nil {
		return nil, err
	}
	j := newJob(func(j *job) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			j.err = err
			return
		}
		// One fstat, here on the worker: the kind of file decides how
		// reads are cut into system calls and whether a deadline can
		// interrupt one.
		of := &File{os: f, name: name, fd: rawFd(f)}
		if fi, err := f.Stat(); err == nil {
			of.regular = fi.Mode().IsRegular()
		}
		of.pollable = !of.regular && f.SetDeadline(time.Time{}) == nil
		j.val = of
	})
	j.drop = func(j *job, onLoop bool) {
		if of, ok := j.val.(*File); ok {
			if onLoop {
				p.spawn(func() { of.os.Close() })
			} else {
				of.os.Close()
			}
		}
	}
	j.parker = pk
	p.submit(j)
	if err := await(ctx, j, false); err != nil {
		return nil, err
	}
	if j.err != nil {
		return nil, j.err
	}
	f := j.val.(*File)
	f.loop, f.pool = p.loop, p
	if err := p.loop.Track(f); err != nil {
		p.spawn(func() { f.os.Close() })
		return nil, fmt.Errorf("files: OpenFile: %w", err)
	}
	return f, nil
}

// begin checks that ctx is the running task's (of l, if not nil), not
// cancelled, and returns its Parker and the loop's pool.
func begin(ctx context.Context, op string) (*pool, eventloop.Parker, error) {
	pk, err := eventloop.ParkerFor(ctx, nil)
	if err != nil {
		return nil, pk, fmt.Errorf("files: %s: %w", op, err)
	}
	l := pk.Loop()
	if l.CheckNeeded() {
		if err := l.Check("files: " + op); err != nil {
			return nil, pk, err
		}
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return nil, pk, err
	}
	p, err := poolFor(l)
	if err != nil {
		return nil, pk, fmt.Errorf("files: %s: %w", op, err)
	}
	return p, pk, nil
}

// spawn runs fn on the pool with nobody waiting for it. Loop goroutine only.
func (p *pool) spawn(fn func()) {
	p.submit(newJob(func(*job) { fn() }))
}

// String describes the file for Loop.Close's AliveError: "file 7 data.txt".
func (f *File) String() string { return fmt.Sprintf("file %d %s", f.fd, f.name) }

// CloseNow closes the file at once, for Loop.Close (eventloop.Resource);
// calls still queued are dropped. A program calls Close instead.
func (f *File) CloseNow() {
	if f.closed {
		return
	}
	f.closing, f.closed = true, true
	f.waiting = nil
	if j := f.inflight; j != nil {
		j.tryCancel()
	}
	// os.File defers the close(2) until a call that still uses the
	// descriptor has returned, and wakes one parked in a poll.
	f.os.Close()
}

// Name returns the name the file was opened with. Any goroutine.
func (f *File) Name() string {
	if f == nil {
		return ""
	}
	return f.name
}

// enqueue submits j, or queues it behind the call in flight. Loop only.
func (f *File) enqueue(j *job) {
	j.file = f
	if f.inflight == nil {
		f.inflight = j
		f.pool.submit(j)
		return
	}
	f.waiting = append(f.waiting, j)
}

// advance moves the queue on once j, the call in flight, is finished or
// was cancelled before it ran. Loop goroutine only.
func (f *File) advance(j *job) {
	if f.inflight != j {
		return
	}
	f.inflight = nil
	if len(f.waiting) == 0 {
		return
	}
	next := f.waiting[0]
	f.waiting[0] = nil
	f.waiting = f.waiting[1:]
	f.inflight = next
	f.pool.submit(next)
}

// unqueue takes j out of the calls waiting behind the one in flight and
// reports whether it was there.
func (f *File) unqueue(j *job) bool {
	for i, w := range f.waiting {
		if w == j {
			f.waiting = append(f.waiting[:i], f.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// interrupt makes a call blocked on a pollable file (a pipe, a FIFO)
// return now. A regular file's call cannot be interrupted: it ends by
// itself within a chunk.
func (f *File) interrupt() {
	if f.pollable {
		f.cut.Store(true)
		f.os.SetDeadline(time.Now())
	}
}

// do runs fn as the file's next call, from the task of pctx, and waits for
// it (to its end, even when cancelled: fn may use the caller's buffer).
func (f *File) do(ctx context.Context, op string, fn func(j *job)) (*job, error) {
	if f == nil {
		return nil, fs.ErrInvalid
	}
	pk, err := eventloop.ParkerFor(ctx, f.loop)
	if err != nil {
		return nil, fmt.Errorf("files: File.%s: %w", op, err)
	}
	if f.loop.CheckNeeded() {
		if err := f.loop.Check("files: File." + op); err != nil {
			return nil, err
		}
	}
	if f.closing {
		return nil, &fs.PathError{Op: pathOp(op), Path: f.name, Err: fs.ErrClosed}
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return nil, err
	}
	j := newJob(func(j *job) {
		if f.cut.Load() {
			f.cut.Store(false)
			f.os.SetDeadline(time.Time{})
		}
		fn(j)
	})
	j.parker = pk
	f.enqueue(j)
	return j, await(ctx, j, true)
}

// pathOp is the os package's op name for a method, for *fs.PathError.
func pathOp(method string) string {
	switch method {
	case "Read", "ReadAt", "Lines":
		return "read"
	case "Write", "WriteAt":
		return "write"
	case "Seek":
		return "seek"
	case "Sync":
		return "sync"
	case "Truncate":
		return "truncate"
	case "Stat":
		return "stat"
	}
	return "close"
}

// Read reads up to len(p) bytes into p from the file's offset and moves the
// offset on by the count (os.File.Read; aiofiles' await f.read(n)). At the
// end of the file it returns 0, io.EOF. From a regular file it reads chunk
// after chunk (at most 1 MiB per system call) until p is full or a read
// comes back short; from a pipe or a terminal, one system call.
//
// Cancellation: a Read still queued (behind another call of the file, or
// waiting for a worker) is taken back: it returns 0, ErrCancelled, and
// the offset is unchanged. A Read that is running is not abandoned: its
// system call completes (a pipe's or a FIFO's is interrupted at once), no
// further chunk is read, and it returns n, ErrCancelled with the n bytes
// it read in p[:n] and the offset moved by n, so no byte is lost and p is
// never written after Read returns.
func (f *File) Read(ctx context.Context, p []byte) (int, error) {
	j, err := f.do(ctx, "Read", func(j *job) { j.n, j.err = f.read(p, &j.stop) })
	return result(j, err)
}

func result(j *job, err error) (int, error) {
	if j == nil {
		return 0, err
	}
	if err != nil {
		return j.n, err
	}
	return j.n, j.err
}

func (f *File) read(p []byte, stop *atomic.Bool) (int, error) {
	if !f.regular {
		return f.os.Read(p)
	}
	n := 0
	for n < len(p) {
		k := min(len(p)-n, chunk)
		m, err := f.os.Read(p[n : n+k])
		n += m
		switch {
		case err == io.EOF && n > 0:
			return n, nil
		case err != nil:
			return n, err
		case m < k || stop.Load():
			return n, nil
		}
	}
	return n, nil
}

// ReadAt reads len(p) bytes into p from offset off, without using or
// moving the file's offset (os.File.ReadAt): it returns len(p), nil, or
// fewer bytes and the error that stopped it (io.EOF at the end of the
// file). It is still ordered with the file's other calls.
//
// Cancellation: as Read: queued, it returns 0, ErrCancelled; running, it
// stops after the chunk it is reading and returns n, ErrCancelled with
// p[:n] read.
func (f *File) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	j, err := f.do(ctx, "ReadAt", func(j *job) {
		for first := true; j.n < len(p) && (first || !j.stop.Load()); first = false {
			k := min(len(p)-j.n, chunk)
			m, err := f.os.ReadAt(p[j.n:j.n+k], off+int64(j.n))
			j.n += m
			if err != nil {
				j.err = err
				return
			}
		}
	})
	return result(j, err)
}

// Write writes p at the file's offset (at its end with os.O_APPEND) and
// moves the offset on (os.File.Write; aiofiles' await f.write(b)). It
// returns len(p), nil or the count written and the error that stopped it.
// It writes at most 1 MiB per system call.
//
// Cancellation: a Write still queued is taken back: 0, ErrCancelled,
// nothing written. A Write that is running completes the chunk in its
// system call and writes no further one: it returns n, ErrCancelled with
// p[:n] written (n a multiple of 1 MiB unless the file is a pipe) and the
// offset moved by n. p is never read after Write returns.
func (f *File) Write(ctx context.Context, p []byte) (int, error) {
	j, err := f.do(ctx, "Write", func(j *job) {
		for first := true; j.n < len(p) && (first || !j.stop.Load()); first = false {
			k := min(len(p)-j.n, chunk)
			m, err := f.os.Write(p[j.n : j.n+k])
			j.n += m
			if err != nil {
				j.err = err
				return
			}
		}
	})
	return result(j, err)
}

// WriteString is Write of the bytes of s.
//
// Cancellation: as Write.
func (f *File) WriteString(ctx context.Context, s string) (int, error) {
	return f.Write(ctx, []byte(s))
}

// WriteAt writes p at offset off without using or moving the file's
// offset (os.File.WriteAt; not allowed on a file opened with os.O_APPEND).
//
// Cancellation: as Write: queued, nothing is written; running, it returns
// n, ErrCancelled with p[:n] written at off.
func (f *File) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	j, err := f.do(ctx, "WriteAt", func(j *job) {
		if len(p) == 0 {
			_, j.err = f.os.WriteAt(p, off) // the O_APPEND and negative-offset errors
			return
		}
		for first := true; j.n < len(p) && (first || !j.stop.Load()); first = false {
			k := min(len(p)-j.n, chunk)
			m, err := f.os.WriteAt(p[j.n:j.n+k], off+int64(j.n))
			j.n += m
			if err != nil {
				j.err = err
				return
			}
		}
	})
	return result(j, err)
}

// Seek sets the offset for the next Read or Write (os.File.Seek; whence is
// io.SeekStart, io.SeekCurrent or io.SeekEnd) and returns the new offset.
// It waits for the calls ahead of it, so it seeks from where they left
// the offset.
//
// Cancellation: queued, it returns 0, ErrCancelled and the offset is
// unchanged; running (one lseek, which does not block), it completes and
// returns the new offset with ErrCancelled.
func (f *File) Seek(ctx context.Context, offset int64, whence int) (int64, error) {
	j, err := f.do(ctx, "Seek", func(j *job) { j.n64, j.err = f.os.Seek(offset, whence) })
	if j == nil {
		return 0, err
	}
	if err != nil {
		return j.n64, err
	}
	return j.n64, j.err
}

// Sync commits the file's contents to stable storage (os.File.Sync,
// fsync(2)): the call that waits longest for a disk.
//
// Cancellation: queued, it never runs; running, the fsync completes (it
// cannot be interrupted) and Sync returns ErrCancelled after it.
func (f *File) Sync(ctx context.Context) error {
	j, err := f.do(ctx, "Sync", func(j *job) { j.err = f.os.Sync() })
	return errOf(j, err)
}

func errOf(j *job, err error) error {
	if err != nil || j == nil {
		return err
	}
	return j.err
}

// Truncate changes the file's size (os.File.Truncate); the offset stays
// where it is.
//
// Cancellation: as Sync: queued, the size is unchanged; running, the
// truncation completes and Truncate returns ErrCancelled.
func (f *File) Truncate(ctx context.Context, size int64) error {
	j, err := f.do(ctx, "Truncate", func(j *job) { j.err = f.os.Truncate(size) })
	return errOf(j, err)
}

// Stat returns the file's fs.FileInfo (os.File.Stat, fstat(2)).
//
// Cancellation: queued, it never runs; running, it completes and Stat
// returns nil, ErrCancelled.
func (f *File) Stat(ctx context.Context) (fs.FileInfo, error) {
	j, err := f.do(ctx, "Stat", func(j *job) { j.val, j.err = f.os.Stat() })
	if err != nil {
		return nil, err
	}
	if j.err != nil {
		return nil, j.err
	}
	return j.val.(fs.FileInfo), nil
}

// Close closes the file (os.File.Close). The calls made before Close
// still run, in order, and complete; Close then closes the descriptor and
// returns its error. Calls made after Close fail at once with a
// *fs.PathError wrapping fs.ErrClosed, and so does a second Close. The
// loop stops tracking the file once it is closed.
//
// Cancellation: the file is closed all the same: the close stays in the
// file's queue and runs after the calls ahead of it. Close returns
// ErrCancelled at once, without the close's own error.
func (f *File) Close(ctx context.Context) error {
	if f == nil {
		return fs.ErrInvalid
	}
	pk, err := eventloop.ParkerFor(ctx, f.loop)
	if err != nil {
		return fmt.Errorf("files: File.Close: %w", err)
	}
	if f.closing {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closing = true
	j := newJob(func(j *job) { j.err = f.os.Close() })
	j.mustRun = true
	j.parker = pk
	j.then = func(*job) {
		f.closed = true
		f.loop.Untrack(f)
	}
	f.enqueue(j)
	if err := await(ctx, j, false); err != nil {
		return err
	}
	return j.err
}

// rawFd is f's descriptor (a handle on Windows), read through SyscallConn:
// os.File.Fd would put a pollable file in blocking mode, and deadlines
// would no longer interrupt its calls.
func rawFd(f *os.File) uintptr {
	var fd uintptr
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(d uintptr) { fd = d })
	}
	return fd
}

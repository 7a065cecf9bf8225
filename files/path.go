package files

import (
	"context"
	"io"
	"io/fs"
	"os"
)

// call runs fn on the loop's pool from the task of ctx and awaits its
// result. keep: fn uses the caller's memory, so a cancelled call is
// awaited to its end (it stops at its next chunk) instead of left running.
func call[T any](ctx context.Context, op string, keep bool, fn func(j *job) (T, error)) (T, error) {
	var zero T
	p, pk, err := begin(ctx, op)
	if err != nil {
		return zero, err
	}
	j := newJob(func(j *job) {
		v, err := fn(j)
		j.val, j.err = v, err
	})
	j.parker = pk
	p.submit(j)
	if err := await(ctx, j, keep); err != nil {
		return zero, err
	}
	v, _ := j.val.(T)
	return v, j.err
}

// Stat returns the fs.FileInfo of the named file, following symbolic links
// (os.Stat; aiofiles.os.stat). Errors are *fs.PathError with Op "stat".
//
// Cancellation: returns ErrCancelled at once; a stat that had started
// completes on its worker and its result is dropped.
func Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return call(ctx, "Stat", false, func(*job) (fs.FileInfo, error) { return os.Stat(name) })
}

// Lstat is Stat that describes a symbolic link itself (os.Lstat;
// aiofiles.os.lstat). Errors are *fs.PathError with Op "lstat".
//
// Cancellation: as Stat.
func Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return call(ctx, "Lstat", false, func(*job) (fs.FileInfo, error) { return os.Lstat(name) })
}

// Remove removes the named file or empty directory (os.Remove;
// aiofiles.os.remove and rmdir). Errors are *fs.PathError with Op
// "remove".
//
// Cancellation: returns ErrCancelled at once. A remove that had not
// started never runs (the file is still there); one that had started
// completes on its worker (the file is gone, its error dropped).
func Remove(ctx context.Context, name string) error {
	_, err := call(ctx, "Remove", false, func(*job) (struct{}, error) { return struct{}{}, os.Remove(name) })
	return err
}

// RemoveAll removes path and everything it contains (os.RemoveAll,
// shutil.rmtree). A path that does not exist is not an error.
//
// Cancellation: returns ErrCancelled at once. A RemoveAll that had not
// started never runs; one that had started runs to its end on its worker.
func RemoveAll(ctx context.Context, path string) error {
	_, err := call(ctx, "RemoveAll", false, func(*job) (struct{}, error) { return struct{}{}, os.RemoveAll(path) })
	return err
}

// Rename renames (moves) oldpath to newpath, replacing newpath if it is a
// file (os.Rename; aiofiles.os.rename and replace). Errors are
// *os.LinkError, as os gives them.
//
// Cancellation: returns ErrCancelled at once; a rename that had not
// started never runs, one that had started completes (rename(2) is
// atomic: either name holds the file, never both or neither).
func Rename(ctx context.Context, oldpath, newpath string) error {
	_, err := call(ctx, "Rename", false, func(*job) (struct{}, error) { return struct{}{}, os.Rename(oldpath, newpath) })
	return err
}

// Mkdir creates a directory with permissions perm before umask (os.Mkdir;
// aiofiles.os.mkdir). Errors are *fs.PathError with Op "mkdir".
//
// Cancellation: as Remove: not started, nothing is created; started, the
// directory is created all the same.
func Mkdir(ctx context.Context, name string, perm fs.FileMode) error {
	_, err := call(ctx, "Mkdir", false, func(*job) (struct{}, error) { return struct{}{}, os.Mkdir(name, perm) })
	return err
}

// MkdirAll creates a directory and the parents it needs (os.MkdirAll;
// aiofiles.os.makedirs(name, exist_ok=True)); a directory that exists is
// not an error.
//
// Cancellation: as Mkdir; a MkdirAll that had started creates the whole
// path.
func MkdirAll(ctx context.Context, path string, perm fs.FileMode) error {
	_, err := call(ctx, "MkdirAll", false, func(*job) (struct{}, error) { return struct{}{}, os.MkdirAll(path, perm) })
	return err
}

// ReadDir returns the entries of the named directory sorted by file name
// (os.ReadDir; aiofiles.os.listdir and scandir).
//
// Cancellation: returns nil, ErrCancelled at once; a listing that had
// started completes on its worker and is dropped.
func ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return call(ctx, "ReadDir", false, func(*job) ([]fs.DirEntry, error) { return os.ReadDir(name) })
}

// ReadFile returns the whole contents of the named file (os.ReadFile;
// async with aiofiles.open(name) as f: await f.read()). The open, the reads
// and the close all run in one job of the pool, in system calls of at most
// 1 MiB.
//
// Cancellation: returns nil, ErrCancelled at once; a ReadFile that had
// started stops after the chunk it is reading and closes the file.
func ReadFile(ctx context.Context, name string) ([]byte, error) {
	return call(ctx, "ReadFile", false, func(j *job) ([]byte, error) { return readFile(name, j) })
}

func readFile(name string, j *job) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 512
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = int(min(fi.Size(), 1<<40)) + 1 // one byte more, to see the EOF
	}
	buf := make([]byte, 0, max(size, 512))
	for first := true; first || !j.stop.Load(); first = false {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		k := min(cap(buf)-len(buf), chunk)
		n, err := f.Read(buf[len(buf) : len(buf)+k])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return nil, nil // cancelled: nobody takes it
}

// WriteFile writes data to the named file, creating it with permissions
// perm before umask if needed and truncating it first (os.WriteFile;
// async with aiofiles.open(name, "wb") as f: await f.write(data)). The
// open, the writes and the close run in one job of the pool, in system
// calls of at most 1 MiB.
//
// Cancellation: a WriteFile that had not started never runs (the file is
// untouched). One that had started stops after the chunk it is writing
// and closes the file, and WriteFile returns ErrCancelled after that: the
// file is then truncated and holds a prefix of data, a multiple of 1 MiB
// long. data is never read after WriteFile returns.
func WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	_, err := call(ctx, "WriteFile", true, func(j *job) (struct{}, error) {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			return struct{}{}, err
		}
		n := 0
		for first := true; n < len(data) && (first || !j.stop.Load()); first = false {
			m, err := f.Write(data[n : n+min(len(data)-n, chunk)])
			n += m
			if err != nil {
				f.Close()
				return struct{}{}, err
			}
		}
		return struct{}{}, f.Close()
	})
	return err
}

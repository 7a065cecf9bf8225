package files_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/internal/testkit"
)

func TestReadWriteSeek(t *testing.T) {
	for _, how := range []string{"pool", "executor", "goroutine"} {
		t.Run(how, func(t *testing.T) {
			name := tempFile(t, "rw", nil)
			run(t, func(ctx context.Context) error {
				if err := files.UseDispatch(eventloop.LoopOf(ctx), how); err != nil {
					return err
				}
				f, err := files.Create(ctx, name)
				if err != nil {
					return err
				}
				if n, err := f.Write(ctx, []byte("hello, world\n")); n != 13 || err != nil {
					t.Errorf("Write = %d, %v", n, err)
				}
				if off, err := f.Seek(ctx, 7, io.SeekStart); off != 7 || err != nil {
					t.Errorf("Seek = %d, %v", off, err)
				}
				p := make([]byte, 100)
				n, err := f.Read(ctx, p)
				testkit.Want(t, "Read", fmt.Sprintf("%q %v", p[:n], err), `"world\n" <nil>`)
				n, err = f.Read(ctx, p)
				testkit.Want(t, "Read at EOF", fmt.Sprintf("%d %v", n, err), "0 EOF")
				if n, err := f.WriteAt(ctx, []byte("J"), 0); n != 1 || err != nil {
					t.Errorf("WriteAt = %d, %v", n, err)
				}
				n, err = f.ReadAt(ctx, p[:5], 0)
				testkit.Want(t, "ReadAt", fmt.Sprintf("%q %v", p[:n], err), `"Jello" <nil>`)
				n, err = f.ReadAt(ctx, p[:5], 10)
				testkit.Want(t, "ReadAt past the end", fmt.Sprintf("%q %v", p[:n], err), `"ld\n" EOF`)
				if err := f.Truncate(ctx, 5); err != nil {
					t.Errorf("Truncate: %v", err)
				}
				if err := f.Sync(ctx); err != nil {
					t.Errorf("Sync: %v", err)
				}
				fi, err := f.Stat(ctx)
				if err != nil || fi.Size() != 5 || fi.Name() != "rw" {
					t.Errorf("Stat = %v, %v", fi, err)
				}
				if f.Name() != name {
					t.Errorf("Name = %q", f.Name())
				}
				return f.Close(ctx)
			})
			got, _ := os.ReadFile(name)
			testkit.Want(t, "contents", string(got), "Jello")
		})
	}
}

// The errors are the os package's, word for word.
func TestErrorsAreTheOsPackages(t *testing.T) {
	dir := tempDir(t)
	missing := filepath.Join(dir, "missing")
	run(t, func(ctx context.Context) error {
		check := func(what string, got, want error) {
			t.Helper()
			var pe *fs.PathError
			if !errors.As(got, &pe) && !errors.As(got, new(*os.LinkError)) {
				t.Errorf("%s: %T %v is not a *fs.PathError", what, got, got)
			}
			if got == nil || want == nil || got.Error() != want.Error() {
				t.Errorf("%s: got %v, want %v", what, got, want)
			}
		}
		_, err := files.Open(ctx, missing)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open: %v does not match fs.ErrNotExist", err)
		}
		_, want := os.Open(missing)
		check("Open", err, want)
		_, err = files.Stat(ctx, missing)
		_, want = os.Stat(missing)
		check("Stat", err, want)
		_, err = files.Lstat(ctx, missing)
		_, want = os.Lstat(missing)
		check("Lstat", err, want)
		check("Remove", files.Remove(ctx, missing), os.Remove(missing))
		check("Rename", files.Rename(ctx, missing, missing+"2"), os.Rename(missing, missing+"2"))
		check("Mkdir", files.Mkdir(ctx, dir, 0o755), os.Mkdir(dir, 0o755))
		_, err = files.ReadDir(ctx, missing)
		_, want = os.ReadDir(missing)
		check("ReadDir", err, want)
		_, err = files.ReadFile(ctx, missing)
		_, want = os.ReadFile(missing)
		check("ReadFile", err, want)
		check("WriteFile", files.WriteFile(ctx, filepath.Join(missing, "x"), nil, 0o644),
			os.WriteFile(filepath.Join(missing, "x"), nil, 0o644))

		// A directory opened as a file.
		d, err := files.Open(ctx, dir)
		if err != nil {
			return err
		}
		od, _ := os.Open(dir)
		_, want = od.Read(make([]byte, 1))
		od.Close()
		_, err = d.Read(ctx, make([]byte, 1))
		check("Read of a directory", err, want)

		// A closed file, and a second Close.
		if err := d.Close(ctx); err != nil {
			return err
		}
		od, _ = os.Open(dir)
		od.Close()
		_, want = od.Read(make([]byte, 1))
		_, err = d.Read(ctx, make([]byte, 1))
		check("Read after Close", err, want)
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Read after Close: %v does not match fs.ErrClosed", err)
		}
		check("second Close", d.Close(ctx), od.Close())
		_, want = od.Write(nil)
		_, err = d.Write(ctx, nil)
		check("Write after Close", err, want)
		return nil
	})
}

func TestWholeFilesAndPaths(t *testing.T) {
	dir := tempDir(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB: several chunks
	run(t, func(ctx context.Context) error {
		sub := filepath.Join(dir, "a", "b")
		if err := files.MkdirAll(ctx, sub, 0o755); err != nil {
			return err
		}
		if err := files.Mkdir(ctx, filepath.Join(dir, "c"), 0o755); err != nil {
			return err
		}
		name := filepath.Join(sub, "big")
		if err := files.WriteFile(ctx, name, big, 0o600); err != nil {
			return err
		}
		got, err := files.ReadFile(ctx, name)
		if err != nil || !bytes.Equal(got, big) {
			t.Errorf("ReadFile: %d bytes, %v; want %d bytes", len(got), err, len(big))
		}
		fi, err := files.Stat(ctx, name)
		if err != nil || fi.Size() != int64(len(big)) || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("Stat = %v, %v", fi, err)
		}
		// A symbolic link, except on Windows (Wine says it made one and
		// did not), where a plain file stands in for it.
		link := filepath.Join(dir, "link")
		if runtime.GOOS == "windows" {
			if err := files.WriteFile(ctx, link, nil, 0o600); err != nil {
				return err
			}
		} else {
			if err := os.Symlink(name, link); err != nil {
				return err
			}
			li, err := files.Lstat(ctx, link)
			if err != nil || li.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("Lstat = %v, %v", li, err)
			}
		}
		if err := files.Rename(ctx, name, filepath.Join(dir, "c", "moved")); err != nil {
			return err
		}
		ents, err := files.ReadDir(ctx, dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		testkit.Want(t, "ReadDir", fmt.Sprint(names, err), "[a c link] <nil>")
		if err := files.Remove(ctx, filepath.Join(dir, "link")); err != nil {
			return err
		}
		if runtime.GOOS == "windows" {
			// Wine's os.RemoveAll fails ("unlinkat: Invalid function");
			// Remove, one level at a time, works there.
			for _, p := range []string{filepath.Join(dir, "a", "b"), filepath.Join(dir, "a")} {
				if err := files.Remove(ctx, p); err != nil {
					return err
				}
			}
		} else if err := files.RemoveAll(ctx, filepath.Join(dir, "a")); err != nil {
			return err
		}
		ents, err = files.ReadDir(ctx, dir)
		testkit.Want(t, "ReadDir after removals", fmt.Sprint(len(ents), err), "1 <nil>")
		return nil
	})
}

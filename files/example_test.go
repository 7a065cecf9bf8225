package files_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/task"
)

// Write a file, append to it, read it back line by line and through
// bufio, then list, rename and remove it: aiofiles' open, write,
// "async for line in f" and aiofiles.os, each call an await that runs on
// the loop's files pool while the loop goes on with other tasks.
func Example() {
	dir, err := os.MkdirTemp("", "files-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "notes.txt")

	_, err = task.Run(func(ctx context.Context) (struct{}, error) {
		if err := files.WriteFile(ctx, name, []byte("one\ntwo\n"), 0o644); err != nil {
			return struct{}{}, err
		}
		f, err := files.OpenFile(ctx, name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return struct{}{}, err
		}
		f.WriteString(ctx, "three\n")
		if err := f.Close(ctx); err != nil {
			return struct{}{}, err
		}

		f, err = files.Open(ctx, name)
		if err != nil {
			return struct{}{}, err
		}
		for line, err := range f.Lines(ctx) {
			if err != nil {
				return struct{}{}, err
			}
			fmt.Println("line:", line)
		}
		// The io.Reader shape: bufio and io helpers work on the file.
		f.Seek(ctx, 0, 0)
		w, _ := bufio.NewReader(f.IO(ctx)).ReadString('\n')
		fmt.Printf("first again: %q\n", w)
		f.Close(ctx)

		if err := files.Rename(ctx, name, name+".old"); err != nil {
			return struct{}{}, err
		}
		ents, _ := files.ReadDir(ctx, dir)
		for _, e := range ents {
			fmt.Println("entry:", e.Name())
		}
		files.Remove(ctx, name+".old")
		_, err = files.Stat(ctx, name+".old")
		fmt.Println("gone:", errors.Is(err, fs.ErrNotExist))
		return struct{}{}, nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// line: one
	// line: two
	// line: three
	// first again: "one\n"
	// entry: notes.txt.old
	// gone: true
}

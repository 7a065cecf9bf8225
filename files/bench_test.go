package files_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/task"
)

// BenchmarkDispatch reads and writes 4 KiB files from 16 tasks with the
// calls sent to the loop's files pool, to the default executor, or to a
// goroutine each: the measurement behind the pool (docs/design.md, D15).
// One op is one file written and read back, checked byte for byte.
func BenchmarkDispatch(b *testing.B) {
	for _, how := range []string{"pool", "executor", "goroutine"} {
		b.Run(how, func(b *testing.B) {
			dir := tempDir(b)
			want := bytes.Repeat([]byte("0123456789abcdef"), 256)
			_, err := task.Run(func(ctx context.Context) (struct{}, error) {
				if err := files.UseDispatch(eventloop.LoopOf(ctx), how); err != nil {
					return struct{}{}, err
				}
				next := 0
				b.ResetTimer()
				ws := make([]eventloop.Waitable, 16)
				for w := range ws {
					ws[w] = eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
						for next < b.N {
							i := next
							next++
							name := filepath.Join(dir, fmt.Sprintf("f%d", i%512))
							if err := files.WriteFile(ctx, name, want, 0o600); err != nil {
								return struct{}{}, err
							}
							got, err := files.ReadFile(ctx, name)
							if err != nil {
								return struct{}{}, err
							}
							if !bytes.Equal(got, want) {
								return struct{}{}, fmt.Errorf("file %d read back wrong", i)
							}
						}
						return struct{}{}, nil
					})
				}
				return struct{}{}, task.Gather(ctx, ws...)
			})
			if err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(dir)
		})
	}
}

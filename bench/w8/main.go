// Command w8 is our W8 (files) from docs/workloads.md.
//
// Usage:
//
//	w8 small N C        N files of 4 KiB, each written then read back, by C tasks
//	w8 copy MIB files   one MIB MiB file copied with the files package
//	w8 copy MIB naive   the same copy with *os.File calls made in the task
//
// small: C tasks share a job counter; job i writes file i (bytes that
// depend on i) with files.WriteFile, reads it back with files.ReadFile and
// checks every byte. Timed from before the tasks start until all are done.
//
// copy: the source (bytes from an LCG) is written and flushed to the disk
// before the clock starts, and the copy is flushed after it stops, so that
// no run pays for another's write-back.
// One task copies it in 1 MiB reads and writes while another task sleeps
// 1 ms at a time and records how late each wake-up was: the lateness of a
// timer of the loop while the copy runs. Check: the copy's SHA-256 (read
// back after the clock stops) equals the source's.
//
// W8_BREAK=1 plants a bug (one byte of one file or chunk wrong), which the
// check must catch.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aio-go/aio/bench/internal/report"
	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/files"
	"github.com/aio-go/aio/task"
)

var broken = os.Getenv("W8_BREAK") == "1"

func main() {
	dir, err := os.MkdirTemp("", "w8-")
	if err != nil {
		report.Fail("%v", err)
	}
	defer os.RemoveAll(dir)
	switch report.Arg(0, "small") {
	case "small":
		small(dir, report.IntArg(1, 2000), report.IntArg(2, 16))
	case "copy":
		copyFile(dir, report.IntArg(1, 1024), report.Arg(2, "files"))
	default:
		report.Fail("unknown mode %q", report.Arg(0, ""))
	}
}

// content is file i's 4 KiB.
func content(i int) []byte {
	b := make([]byte, 4096)
	x := uint32(i*2654435761 + 1)
	for k := range b {
		x = x*1664525 + 1013904223
		b[k] = byte(x >> 24)
	}
	return b
}

func small(dir string, n, c int) {
	var elapsed float64
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		start := time.Now()
		next := 0
		workers := make([]eventloop.Waitable, c)
		for w := range workers {
			workers[w] = eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
				for next < n { // one loop: no lock needed
					i := next
					next++
					name := filepath.Join(dir, fmt.Sprintf("f%06d", i))
					want := content(i)
					data := want
					if broken && i == n/2 {
						data = slices.Clone(want)
						data[100] ^= 1
					}
					if err := files.WriteFile(ctx, name, data, 0o600); err != nil {
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
		if err := task.Gather(ctx, workers...); err != nil {
			return struct{}{}, err
		}
		elapsed = time.Since(start).Seconds()
		return struct{}{}, nil
	})
	if err != nil {
		report.Fail("%v", err)
	}
	report.Emit(map[string]any{
		"workload": "W8", "peer": "aio files", "mode": "small", "n": n, "c": c,
		"elapsed_s": elapsed, "files_per_s": float64(n) / elapsed, "ops_per_s": float64(n) / elapsed, "peak_rss_kb": report.MaxRSSKB(),
	})
}

const chunk = 1 << 20

// makeSource writes mib MiB of LCG bytes and returns their SHA-256.
func makeSource(name string, mib int) [32]byte {
	f, err := os.Create(name)
	if err != nil {
		report.Fail("%v", err)
	}
	h := sha256.New()
	buf := make([]byte, chunk)
	x := uint32(12345)
	for range mib {
		for k := range buf {
			x = x*1664525 + 1013904223
			buf[k] = byte(x >> 24)
		}
		h.Write(buf)
		if _, err := f.Write(buf); err != nil {
			report.Fail("%v", err)
		}
	}
	if err := f.Sync(); err != nil { // no run pays for another's write-back
		report.Fail("%v", err)
	}
	if err := f.Close(); err != nil {
		report.Fail("%v", err)
	}
	return [32]byte(h.Sum(nil))
}

func copyFile(dir string, mib int, how string) {
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	want := makeSource(src, mib)
	var elapsed float64
	var late []time.Duration
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		done := false
		ticker := eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			for !done {
				t0 := time.Now()
				if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
					return struct{}{}, err
				}
				late = append(late, max(0, time.Since(t0)-time.Millisecond))
			}
			return struct{}{}, nil
		})
		eventloop.Sleep(ctx, 5*time.Millisecond) // the ticker is running
		start := time.Now()
		var err error
		switch how {
		case "files":
			err = copyWithFiles(ctx, src, dst)
		case "naive":
			err = copyNaive(src, dst)
		default:
			err = fmt.Errorf("unknown copy %q", how)
		}
		elapsed = time.Since(start).Seconds()
		done = true
		if _, terr := eventloop.Await(ctx, ticker); err == nil {
			err = terr
		}
		return struct{}{}, err
	})
	if err != nil {
		report.Fail("%v", err)
	}
	syncFile(dst)
	f, err := os.Open(dst)
	if err != nil {
		report.Fail("%v", err)
	}
	h := sha256.New()
	io.Copy(h, f)
	f.Close()
	if [32]byte(h.Sum(nil)) != want {
		report.Fail("the copy differs from the source")
	}
	slices.Sort(late)
	q := func(p float64) float64 {
		if len(late) == 0 {
			return 0
		}
		return float64(late[min(len(late)-1, int(p*float64(len(late))))].Microseconds())
	}
	label := map[string]string{"files": "aio files", "naive": "aio os.File in a task (blocks the loop)"}[how]
	report.Emit(map[string]any{
		"workload": "W8", "peer": label, "mode": "copy", "n": mib, "elapsed_s": elapsed,
		"mib_per_s": float64(mib) / elapsed, "ops_per_s": float64(mib) / elapsed, "ticks": len(late),
		"p50_late_us": q(0.50), "p99_late_us": q(0.99), "max_late_us": q(1),
		"peak_rss_kb": report.MaxRSSKB(),
	})
}

func flip(buf []byte, i int) {
	if broken && i == 1 {
		buf[7] ^= 1
	}
}

func copyWithFiles(ctx context.Context, src, dst string) error {
	in, err := files.Open(ctx, src)
	if err != nil {
		return err
	}
	defer in.Close(ctx)
	out, err := files.Create(ctx, dst)
	if err != nil {
		return err
	}
	buf := make([]byte, chunk)
	for i := 0; ; i++ {
		n, err := in.Read(ctx, buf)
		if n > 0 {
			flip(buf[:n], i)
			if _, werr := out.Write(ctx, buf[:n]); werr != nil {
				out.Close(ctx)
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Close(ctx)
			return err
		}
	}
	return out.Close(ctx)
}

// copyNaive makes the blocking calls on the loop goroutine, as a task
// calling os.File's methods does.
func copyNaive(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	buf := make([]byte, chunk)
	for i := 0; ; i++ {
		n, err := in.Read(buf)
		if n > 0 {
			flip(buf[:n], i)
			if _, werr := out.Write(buf[:n]); werr != nil {
				out.Close()
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

// syncFile flushes name to the disk, outside the clock, so that the next
// run does not pay for this one's write-back.
func syncFile(name string) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		report.Fail("%v", err)
	}
}

// Command w8 is the plain-Go peer of W8 files (docs/workloads.md): the os
// package's calls from goroutines.
//
// Usage:
//
//	w8 small N C    N files of 4 KiB, each written then read back, by C goroutines
//	w8 copy MIB     one MIB MiB file copied in 1 MiB chunks by one goroutine
//
// In copy, another goroutine sleeps 1 ms at a time and records how late
// each wake-up was while the copy runs. Checks: every small file reads
// back as written; the copy's SHA-256 equals the source's. W8_BREAK=1
// plants one wrong byte, which the check catches.
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

var broken = os.Getenv("W8_BREAK") == "1"

const chunk = 1 << 20

func content(i int) []byte {
	b := make([]byte, 4096)
	x := uint32(i*2654435761 + 1)
	for k := range b {
		x = x*1664525 + 1013904223
		b[k] = byte(x >> 24)
	}
	return b
}

func main() {
	dir, err := os.MkdirTemp("", "w8-")
	if err != nil {
		peer.Fail("%v", err)
	}
	defer os.RemoveAll(dir)
	switch peer.Arg(0, "small") {
	case "small":
		small(dir, peer.IntArg(1, 2000), peer.IntArg(2, 16))
	case "copy":
		copyFile(dir, peer.IntArg(1, 1024))
	default:
		peer.Fail("unknown mode %q", peer.Arg(0, ""))
	}
}

func small(dir string, n, c int) {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	t0 := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				name := filepath.Join(dir, fmt.Sprintf("f%06d", i))
				want := content(i)
				data := want
				if broken && i == n/2 {
					data = slices.Clone(want)
					data[100] ^= 1
				}
				err := os.WriteFile(name, data, 0o600)
				var got []byte
				if err == nil {
					got, err = os.ReadFile(name)
				}
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("file %d read back wrong", i)
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	if firstErr != nil {
		peer.Fail("%v", firstErr)
	}
	peer.Emit(map[string]any{
		"workload": "W8", "peer": "go os from goroutines", "mode": "small", "n": n, "c": c,
		"elapsed_s": elapsed, "files_per_s": float64(n) / elapsed, "ops_per_s": float64(n) / elapsed, "peak_rss_kb": peer.MaxRSSKB(),
	})
}

func copyFile(dir string, mib int) {
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	h := sha256.New()
	f, err := os.Create(src)
	if err != nil {
		peer.Fail("%v", err)
	}
	buf := make([]byte, chunk)
	x := uint32(12345)
	for range mib {
		for k := range buf {
			x = x*1664525 + 1013904223
			buf[k] = byte(x >> 24)
		}
		h.Write(buf)
		f.Write(buf)
	}
	if err := f.Sync(); err != nil { // no run pays for another's write-back
		peer.Fail("%v", err)
	}
	f.Close()
	want := h.Sum(nil)

	var late []time.Duration
	var done atomic.Bool
	tick := make(chan struct{})
	go func() {
		defer close(tick)
		for !done.Load() {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			late = append(late, max(0, time.Since(t0)-time.Millisecond))
		}
	}()
	time.Sleep(5 * time.Millisecond)
	t0 := time.Now()
	err = copyOS(src, dst)
	elapsed := time.Since(t0).Seconds()
	done.Store(true)
	<-tick
	if err != nil {
		peer.Fail("%v", err)
	}
	syncFile(dst)
	g, err := os.Open(dst)
	if err != nil {
		peer.Fail("%v", err)
	}
	h = sha256.New()
	io.Copy(h, g)
	g.Close()
	if !bytes.Equal(h.Sum(nil), want) {
		peer.Fail("the copy differs from the source")
	}
	slices.Sort(late)
	q := func(p float64) float64 {
		if len(late) == 0 {
			return 0
		}
		return float64(late[min(len(late)-1, int(p*float64(len(late))))].Microseconds())
	}
	peer.Emit(map[string]any{
		"workload": "W8", "peer": "go os from a goroutine", "mode": "copy", "n": mib, "elapsed_s": elapsed,
		"mib_per_s": float64(mib) / elapsed, "ops_per_s": float64(mib) / elapsed, "ticks": len(late),
		"p50_late_us": q(0.5), "p99_late_us": q(0.99), "max_late_us": q(1), "peak_rss_kb": peer.MaxRSSKB(),
	})
}

func copyOS(src, dst string) error {
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
			if broken && i == 1 {
				buf[7] ^= 1
			}
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
		peer.Fail("%v", err)
	}
}

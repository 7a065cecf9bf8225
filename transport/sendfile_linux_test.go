package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

// sendfileData writes n pseudo-random bytes to a temporary file.
func sendfileData(t *testing.T, n int) (*os.File, []byte) {
	t.Helper()
	data := make([]byte, n)
	x := uint32(12345)
	for i := range data {
		x = x*1664525 + 1013904223
		data[i] = byte(x >> 24)
	}
	name := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

func hookSendfile(t *testing.T) *[]bool {
	var paths []bool
	sendfileHook = func(native bool) { paths = append(paths, native) }
	t.Cleanup(func() { sendfileHook = nil })
	return &paths
}

func realLoop(t *testing.T) *eventloop.Loop {
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// readN reads n bytes from the blocking fd on a goroutine.
func readN(fd, n int) chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		var got []byte
		buf := make([]byte, 1<<16)
		for len(got) < n {
			m, err := unix.Read(fd, buf)
			if m <= 0 || err != nil {
				break
			}
			got = append(got, buf[:m]...)
		}
		ch <- got
	}()
	return ch
}

// Over a TCP transport the file goes with sendfile(2), after what was
// buffered before, from the offset and for the count asked; f's offset
// does not move; a write made after Sendfile returns follows the file.
func TestSendfileNative(t *testing.T) {
	checkFDLeak(t)
	f, data := sendfileData(t, 3<<20+777)
	paths := hookSendfile(t)
	l := realLoop(t)
	const off, count = 1000, 2<<20 + 5
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		defer unix.Close(peer)
		defer tr.Abort()
		want := append(append([]byte("head:"), data[off:off+count]...), ":tail"...)
		got := readN(peer, len(want))
		tr.Write([]byte("head:"))
		n, err := Sendfile(ctx, tr, f, off, count, false)
		if n != count || err != nil {
			t.Errorf("Sendfile = %d, %v; want %d, nil", n, err, count)
		}
		tr.Write([]byte(":tail"))
		b, err := eventloop.Await(ctx, eventloop.RunInExecutor(l, func() ([]byte, error) { return <-got, nil }))
		if !bytes.Equal(b, want) {
			t.Errorf("peer got %d bytes, want %d (equal: %v)", len(b), len(want), bytes.Equal(b, want))
		}
		if pos, _ := f.Seek(0, 1); pos != 0 {
			t.Errorf("f's offset moved to %d", pos)
		}
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*paths) != "[true]" {
		t.Errorf("paths = %v; want the native one", *paths)
	}
}

// A Sendfile cancelled while the peer does not read returns what it sent,
// and the peer then receives exactly that many bytes of the file.
func TestSendfileNativeCancelled(t *testing.T) {
	checkFDLeak(t)
	f, data := sendfileData(t, 64<<20)
	l := realLoop(t)
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		defer unix.Close(peer)
		sctx, cancel := eventloop.WithCancel(ctx)
		tk := eventloop.Spawn(sctx, func(ctx context.Context) (int64, error) { return Sendfile(ctx, tr, f, 0, 0, false) })
		for i := 0; i < 1000 && tr.(*fdTransport).sfWake == nil; i++ { // parked: the socket is full
			eventloop.Sleep(ctx, 0)
		}
		cancel()
		n, err := eventloop.Await(ctx, tk)
		if !errors.Is(err, eventloop.ErrCancelled) || n <= 0 || n >= int64(len(data)) {
			t.Errorf("cancelled Sendfile = %d, %v; want 0 < n < %d and ErrCancelled", n, err, len(data))
		}
		tr.Close()
		got := readN(peer, len(data))
		b, _ := eventloop.Await(ctx, eventloop.RunInExecutor(l, func() ([]byte, error) { return <-got, nil }))
		if int64(len(b)) != n || !bytes.Equal(b, data[:len(b)]) {
			t.Errorf("peer got %d bytes (a prefix: %v); Sendfile said %d", len(b), bytes.Equal(b, data[:len(b)]), n)
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Over an in-memory pair Sendfile falls back to reads and writes (or says
// it cannot, with fallback false), keeps the sender's buffer bounded while
// the receiver does not read, and the receiver gets the bytes intact.
func TestSendfileFallbackFlowControl(t *testing.T) {
	f, data := sendfileData(t, 16<<20)
	paths := hookSendfile(t)
	l := realLoop(t)
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		pa, pb := &recProto{}, &recProto{}
		a, b, err := NewTransportPair(l, pa, pb)
		if err != nil {
			return 0, err
		}
		defer a.Abort()
		defer b.Abort()
		if n, err := Sendfile(ctx, a, f, 0, 0, false); n != 0 || !errors.Is(err, ErrSendfileNotAvailable) {
			t.Errorf("fallback false: %d, %v", n, err)
		}
		const high = 64 << 10
		a.SetWriteBufferLimits(high, high/4)
		b.PauseReading()
		tk := eventloop.Spawn(ctx, func(ctx context.Context) (int64, error) { return Sendfile(ctx, a, f, 0, 0, true) })
		// Until Sendfile parks for the buffer to drain (bounded).
		peak, parked := 0, false
		for i := 0; i < 3000 && !parked && !tk.Done(); i++ {
			eventloop.Sleep(ctx, time.Millisecond)
			peak = max(peak, a.WriteBufferSize())
			sp, ok := a.Protocol().(sendfilePlain)
			parked = ok && sp.f.wake != nil
		}
		if !parked || tk.Done() || peak > high+sendfileChunk {
			t.Errorf("receiver paused: done %v, sender's buffer peaked at %d (high %d)", tk.Done(), peak, high)
		}
		b.ResumeReading()
		n, err := eventloop.Await(ctx, tk)
		waitUntil(ctx, t, func() bool { return len(pb.data) >= len(data) })
		if n != int64(len(data)) || err != nil || !bytes.Equal(pb.data, data) {
			t.Errorf("Sendfile = %d, %v; receiver got %d bytes, equal %v", n, err, len(pb.data), bytes.Equal(pb.data, data))
		}
		if a.Protocol() != StreamProtocol(pa) || pa.pauses != pa.resumes {
			t.Errorf("protocol after: %T, pauses %d resumes %d", a.Protocol(), pa.pauses, pa.resumes)
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*paths) != "[false false]" {
		t.Errorf("paths = %v; want two fallbacks", *paths)
	}
}

// A Write and a Close made by another task while the file goes out wait
// behind it: the peer gets the file, then the write, then EOF.
func TestSendfileNativeWriteAndCloseWait(t *testing.T) {
	checkFDLeak(t)
	f, data := sendfileData(t, 16<<20)
	l := realLoop(t)
	_, err := runTask(t, l, func(ctx context.Context) (int, error) {
		p := &recProto{}
		tr, peer := tcpPair(ctx, t, p)
		defer unix.Close(peer)
		tk := eventloop.Spawn(ctx, func(ctx context.Context) (int64, error) { return Sendfile(ctx, tr, f, 0, 0, false) })
		for i := 0; i < 1000 && tr.(*fdTransport).sfWake == nil; i++ { // parked: the socket is full
			eventloop.Sleep(ctx, 0)
		}
		if err := tr.Write([]byte("after")); err != nil {
			t.Errorf("Write during Sendfile: %v", err)
		}
		tr.Close()
		got := readN(peer, len(data)+len("after")+1) // +1: reads on to EOF
		n, err := eventloop.Await(ctx, tk)
		if n != int64(len(data)) || err != nil {
			t.Errorf("Sendfile = %d, %v", n, err)
		}
		b, _ := eventloop.Await(ctx, eventloop.RunInExecutor(l, func() ([]byte, error) { return <-got, nil }))
		if !bytes.Equal(b, append(data, "after"...)) {
			t.Errorf("peer got %d bytes (want %d), tail %q", len(b), len(data)+5, b[max(0, len(b)-5):])
		}
		waitUntil(ctx, t, func() bool { return p.lostCount == 1 })
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package poller

import (
	"sync"
	"testing"
)

func TestConformanceFake(t *testing.T) {
	runConformance(t, newFakeHarness)
}

// fakeHarness models socket pairs on a Fake: the same rules the kernel
// applies to the OS harness's Unix-domain sockets.
type fakeHarness struct {
	t *testing.T
	f *Fake

	mu     sync.Mutex // protects the fields below: send may run on another goroutine
	next   int
	peer   map[int]int
	queued map[int]bool // fd has unread data
	eof    map[int]bool // fd's peer is closed or shut down its write side
	full   map[int]bool // fd's send buffer is full
}

func newFakeHarness(t *testing.T) harness {
	return &fakeHarness{
		t: t, f: NewFake(), next: 100,
		peer: map[int]int{}, queued: map[int]bool{}, eof: map[int]bool{}, full: map[int]bool{},
	}
}

func (h *fakeHarness) poller() Poller { return h.f }
func (h *fakeHarness) real() bool     { return false }

func (h *fakeHarness) pair() (a, b int) {
	h.mu.Lock()
	a = h.next
	h.next++
	h.mu.Unlock()
	return h.pairAt(a)
}

func (h *fakeHarness) pairAt(want int) (a, b int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b = h.next
	h.next++
	h.peer[want], h.peer[b] = b, want
	for _, fd := range []int{want, b} {
		delete(h.queued, fd)
		delete(h.eof, fd)
		delete(h.full, fd)
		h.f.ClearReady(fd, Readable|Writable)
		h.f.SetReady(fd, Writable)
	}
	return want, b
}

func (h *fakeHarness) send(fd int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queued[h.peer[fd]] = true
	h.f.SetReady(h.peer[fd], Readable)
}

func (h *fakeHarness) drain(fd int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.queued, fd)
	if !h.eof[fd] {
		h.f.ClearReady(fd, Readable) // EOF stays readable
	}
	if p := h.peer[fd]; h.full[p] {
		delete(h.full, p)
		h.f.SetReady(p, Writable)
	}
}

func (h *fakeHarness) fill(fd int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.full[fd] = true
	h.f.ClearReady(fd, Writable)
	h.queued[h.peer[fd]] = true
	h.f.SetReady(h.peer[fd], Readable)
}

func (h *fakeHarness) closeFD(fd int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.f.CloseFD(fd)
	if p, ok := h.peer[fd]; ok {
		delete(h.peer, fd)
		h.eof[p] = true
		h.f.SetReady(p, Readable|Writable) // hang-up: every interest
	}
}

func (h *fakeHarness) shutWrite(fd int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.eof[h.peer[fd]] = true
	h.f.SetReady(h.peer[fd], Readable)
}

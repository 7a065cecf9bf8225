//go:build linux

package poller

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestEpollDupKeepsStaleRegistration pins down the caveat in the essay of
// poller_epoll.go: closing an fd that has a dup() does not end its epoll
// registration, which goes on reporting the old fd number with the old tag.
// The loop must drop such events by their tag.
func TestEpollDupKeepsStaleRegistration(t *testing.T) {
	h := newOSHarness(t).(*osHarness)
	p := h.poller()
	a, b := h.pair()
	dup, err := unix.Dup(a)
	if err != nil {
		t.Fatal(err)
	}
	h.track(dup)
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a) // the open file lives on through dup
	if err := p.Delete(a); err != nil {
		t.Fatalf("Delete after close = %v, want nil", err)
	}
	c, d := h.pairAt(a)
	mustAdd(t, p, c, Readable, 2)

	h.send(b) // makes the old file readable: the stale registration fires
	got, all := waitFor(t, p, a)
	if got != (Event{FD: a, Tag: 1, Events: Readable}) || len(all) != 1 {
		t.Fatalf("events = %v, want only the stale %v", all, Event{FD: a, Tag: 1, Events: Readable})
	}
	h.send(d) // now the new file too: both come back, told apart by tag
	evs := wait(t, p, -1)
	if len(evs) != 2 || evs[0].Tag+evs[1].Tag != 3 {
		t.Fatalf("events = %v, want tag 1 (stale) and tag 2 for fd %d", evs, a)
	}
	h.closeFD(dup) // the last reference: now the kernel drops it
	expectOnly(t, p, Event{FD: a, Tag: 2, Events: Readable})
}

// TestEpollAddAdoptsLeftover: dup2 puts the same open file back under the
// number of a registration the Poller has forgotten; Add takes it over.
func TestEpollAddAdoptsLeftover(t *testing.T) {
	h := newOSHarness(t).(*osHarness)
	p := h.poller()
	a, b := h.pair()
	dup, err := unix.Dup(a)
	if err != nil {
		t.Fatal(err)
	}
	h.track(dup)
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a)
	mustDelete(t, p, a)
	if err := unix.Dup2(dup, a); err != nil {
		t.Fatal(err)
	}
	h.track(a)
	mustAdd(t, p, a, Readable, 3) // EEXIST in the kernel, adopted
	h.send(b)
	expectOnly(t, p, Event{FD: a, Tag: 3, Events: Readable})
}

// TestEpollModifyAfterClose: Modify of an fd closed without Delete fails,
// so the loop learns that it must register the number afresh.
func TestEpollModifyAfterClose(t *testing.T) {
	h := newOSHarness(t).(*osHarness)
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a)
	wantErr(t, "Modify(closed)", p.Modify(a, Writable, 1), unix.EBADF)
	h.pairAt(a)
	wantErr(t, "Modify(reused number)", p.Modify(a, Writable, 1), unix.ENOENT)
	mustDelete(t, p, a)
	mustAdd(t, p, a, Writable, 2)
	expectOnly(t, p, Event{FD: a, Tag: 2, Events: Writable})
}

func TestEpollPipe(t *testing.T) {
	h := newOSHarness(t).(*osHarness)
	p := h.poller()
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := fds[0], fds[1]
	h.track(r)
	h.track(w)
	mustAdd(t, p, r, Readable, 1)
	mustAdd(t, p, w, Writable, 2)
	expectOnly(t, p, Event{FD: w, Tag: 2, Events: Writable})
	h.send(w)
	mustModify(t, p, w, Writable, 3)
	evs := wait(t, p, -1)
	if len(evs) != 2 {
		t.Fatalf("events = %v, want fd %d readable and fd %d writable", evs, r, w)
	}
	mustDelete(t, p, w)
	h.closeFD(w) // EPOLLHUP on the read end: Readable
	h.drain(r)
	expectOnly(t, p, Event{FD: r, Tag: 1, Events: Readable})

	// A writer whose reader is gone gets EPOLLERR: Writable.
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	h.track(fds[0])
	h.track(fds[1])
	mustDelete(t, p, r)
	h.fill(fds[1])
	mustAdd(t, p, fds[1], Writable, 4)
	expectNone(t, p)
	h.closeFD(fds[0])
	expectOnly(t, p, Event{FD: fds[1], Tag: 4, Events: Writable})
}

func TestEpollRegularFile(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = p.Add(int(f.Fd()), Readable, 0)
	if !errors.Is(err, unix.EPERM) {
		t.Fatalf("Add(regular file) = %v, want EPERM", err)
	}
}

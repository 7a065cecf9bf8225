//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package poller

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestConformanceOS(t *testing.T) {
	runConformance(t, newOSHarness)
}

// osHarness drives New with Unix-domain socket pairs.
type osHarness struct {
	t *testing.T
	p Poller

	mu   sync.Mutex // protects open: send may run on another goroutine
	open map[int]bool
}

func newOSHarness(t *testing.T) harness {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	h := &osHarness{t: t, p: p, open: map[int]bool{}}
	t.Cleanup(func() {
		p.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for fd := range h.open {
			unix.Close(fd)
		}
	})
	return h
}

func (h *osHarness) poller() Poller { return h.p }
func (h *osHarness) real() bool     { return true }

func (h *osHarness) pair() (a, b int) {
	h.t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, fd := range fds {
		h.track(fd)
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			h.t.Fatal(err)
		}
	}
	return fds[0], fds[1]
}

func (h *osHarness) pairAt(want int) (a, b int) {
	h.t.Helper()
	if _, err := unix.FcntlInt(uintptr(want), unix.F_GETFD, 0); err != unix.EBADF {
		h.t.Fatalf("fd %d is not free (%v): the test would clobber it", want, err)
	}
	a, b = h.pair()
	if a == want {
		return a, b
	}
	if err := unix.Dup2(a, want); err != nil {
		h.t.Fatal(err)
	}
	h.track(want)
	unix.CloseOnExec(want)
	h.closeFD(a)
	return want, b
}

func (h *osHarness) track(fd int) {
	h.mu.Lock()
	h.open[fd] = true
	h.mu.Unlock()
}

// send may run on a goroutine other than the test's: it reports with
// Errorf, not Fatal.
func (h *osHarness) send(fd int) {
	if _, err := unix.Write(fd, []byte{1}); err != nil {
		h.t.Errorf("write fd %d: %v", fd, err)
	}
}

func (h *osHarness) drain(fd int) {
	h.t.Helper()
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EAGAIN || n == 0 && err == nil:
			return
		case err != nil:
			h.t.Fatalf("read fd %d: %v", fd, err)
		}
	}
}

func (h *osHarness) fill(fd int) {
	h.t.Helper()
	buf := make([]byte, 1<<16)
	for size := len(buf); size > 0; {
		_, err := unix.Write(fd, buf[:size])
		switch {
		case err == unix.EAGAIN:
			size /= 2
		case err != nil:
			h.t.Fatalf("write fd %d: %v", fd, err)
		}
	}
}

func (h *osHarness) closeFD(fd int) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.open[fd] {
		h.t.Fatalf("close of fd %d, which the harness does not own", fd)
	}
	delete(h.open, fd)
	if err := unix.Close(fd); err != nil {
		h.t.Fatal(err)
	}
}

func (h *osHarness) shutWrite(fd int) {
	h.t.Helper()
	if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil {
		h.t.Fatal(err)
	}
}

func TestStressWakesOS(t *testing.T) {
	producers, per := stressSize()
	for _, mode := range []string{"NoFDs", "WithFDs", "Switching"} {
		t.Run(mode, func(t *testing.T) {
			h := newOSHarness(t)
			p := h.poller()
			a, _ := h.pair()
			cfg := stressConfig{producers: producers, perProducer: per}
			switch mode {
			case "WithFDs":
				mustAdd(t, p, a, Readable, 0)
			case "Switching":
				cfg.toggle = func(iter int) {
					if iter%3 != 0 {
						return
					}
					if p.Registered() == 0 {
						mustAdd(t, p, a, Readable, uint32(iter))
					} else {
						mustDelete(t, p, a)
					}
				}
			}
			stressWakes(t, p, cfg)
		})
	}
}

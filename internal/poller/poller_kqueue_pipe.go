//go:build netbsd || openbsd

package poller

import (
	"os"

	"golang.org/x/sys/unix"
)

// wakeSource wakes a kevent(2) through a non-blocking self-pipe: signal
// writes a byte, Wait drains the pipe when its read end is reported.
type wakeSource struct {
	r, w int
}

func (s *wakeSource) init(b *backend) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	s.r, s.w = p[0], p[1]
	if err := b.change(s.r, unix.EVFILT_READ, unix.EV_ADD, 0); err != nil {
		s.close()
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

func (s *wakeSource) signal(*backend) error {
	for {
		_, err := unix.Write(s.w, []byte{0})
		switch err {
		case nil, unix.EAGAIN: // EAGAIN: the pipe is full, so it is readable
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write wake pipe", err)
	}
}

func (s *wakeSource) consume(_ *backend, r *unix.Kevent_t) bool {
	if int(r.Filter) != unix.EVFILT_READ || int(r.Ident) != s.r {
		return false
	}
	var buf [64]byte
	for {
		n, err := unix.Read(s.r, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n < len(buf) {
			return true
		}
	}
}

func (s *wakeSource) close() {
	unix.Close(s.r)
	unix.Close(s.w)
}

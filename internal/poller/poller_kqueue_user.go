//go:build darwin || dragonfly || freebsd

package poller

import (
	"os"

	"golang.org/x/sys/unix"
)

// wakeSource wakes a kevent(2) through an EVFILT_USER knote. EV_CLEAR resets
// it when kevent returns it, so there is nothing to drain.
type wakeSource struct{}

// wakeIdent names the EVFILT_USER knote. User-filter idents are a namespace
// of their own: it cannot collide with an fd.
const wakeIdent = 0

func (wakeSource) init(b *backend) error {
	if err := b.change(wakeIdent, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR, 0); err != nil {
		return os.NewSyscallError("kevent EVFILT_USER", err)
	}
	return nil
}

func (wakeSource) signal(b *backend) error {
	if err := b.change(wakeIdent, unix.EVFILT_USER, 0, unix.NOTE_TRIGGER); err != nil {
		return os.NewSyscallError("kevent NOTE_TRIGGER", err)
	}
	return nil
}

func (wakeSource) consume(_ *backend, r *unix.Kevent_t) bool {
	return int(r.Filter) == unix.EVFILT_USER
}

func (wakeSource) close() {}

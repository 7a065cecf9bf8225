//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package poller

// The kqueue backend, and how it differs from the epoll one.
//
// Filters, not masks. kqueue keeps one registration (knote) per (fd,
// filter): Readable is EVFILT_READ, Writable is EVFILT_WRITE, each added and
// deleted on its own, and one Wait may return one event per filter for the
// same fd. Wait merges them, so an fd still appears at most once. Knotes are
// level-triggered (no EV_CLEAR), like the epoll backend.
//
// Conditions. EV_EOF on the read filter (the peer closed or shut down its
// write side) is Readable; on the write filter (the peer is gone, a connect
// failed: fflags holds the errno) it is Writable. A full hang-up fires both
// filters, so every registered interest is reported, as the contract asks;
// a half-close fires only the read filter, which is what the epoll backend
// does with EPOLLRDHUP. Unlike epoll, kqueue accepts regular files and
// reports them always readable; the loop must not rely on Add refusing them.
//
// Tags and udata. The tag is not stored in the kernel. udata is a pointer
// field in x/sys (*byte on most of these systems), and hiding tag<<32|fd in
// it would put a non-pointer into a slot the garbage collector scans, which
// can crash it once the value looks like a heap address. It is not needed
// either: the kernel keys knotes on the fd number and close(2) deletes that
// number's knotes even when the file lives on through a dup(), so kqueue
// has none of epoll's stale registrations. Wait reads the tag from the
// Poller's map; within one batch, an fd reopened under the same number by
// an earlier handler still carries the tag that was current at Wait, so the
// loop's tag check keeps working.
//
// Blocking. This backend does not park in Go's runtime netpoller. The
// runtime registers every pollable fd for both EVFILT_READ and EVFILT_WRITE
// (runtime/netpoll_kqueue.go, netpollopen) and fails if either is refused,
// and a kqueue fd supports only EVFILT_READ (kqueue_kqfilter in the FreeBSD
// and XNU kernels returns EINVAL otherwise), so os.NewFile cannot make it
// pollable; older XNU also reported a nested kqueue readable whether or not
// it held events (libuv issue #883). So with fds registered the loop
// goroutine blocks in kevent(2) with the timeout, and its thread with it.
// A Wake then costs a thread wake-up (tens of microseconds), against well
// under one in channel mode, which is still used when no fd is registered.
//
// Waking. On darwin, FreeBSD and DragonFly an EVFILT_USER knote (EV_CLEAR,
// so retrieving it resets it) is triggered with NOTE_TRIGGER; NetBSD and
// OpenBSD, where x/sys has no EVFILT_USER, use a non-blocking self-pipe.
// Either way Wait consumes the signal and never reports it. kick runs under
// kickMu, so that a Wake racing with Close cannot signal an fd number that
// Close released and something else reused.
//
// A kqueue is not inherited across fork(2); it is marked close-on-exec all
// the same.

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// backend is the kqueue half of osPoller.
type backend struct {
	kq    int
	raw   []unix.Kevent_t // scratch for kevent; loop goroutine only
	index map[int]int     // fd -> its event in buf, while merging one batch
	zero  unix.Timespec   // timeout 0, kept here so that polls do not allocate

	kickMu sync.RWMutex // protects kq and the wake source from Close during kick
	closed bool         // under kickMu

	wake wakeSource // EVFILT_USER or a self-pipe (poller_kqueue_*.go)
}

func (b *backend) init() (err error) {
	if b.kq, err = unix.Kqueue(); err != nil {
		return os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(b.kq)
	if err := b.wake.init(b); err != nil {
		unix.Close(b.kq)
		return err
	}
	b.index = make(map[int]int)
	return nil
}

// change applies one knote change.
func (b *backend) change(fd, filter, flags int, fflags uint32) error {
	var k [1]unix.Kevent_t
	unix.SetKevent(&k[0], fd, filter, flags)
	k[0].Fflags = fflags
	for {
		// With no room for events, the first failing change is
		// returned as the call's error.
		_, err := unix.Kevent(b.kq, k[:], nil, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

func (b *backend) kick() error {
	b.kickMu.RLock()
	defer b.kickMu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	return b.wake.signal(b)
}

func (b *backend) add(fd int, ev Events, _ uint32) error {
	if ev&Readable != 0 {
		if err := b.change(fd, unix.EVFILT_READ, unix.EV_ADD, 0); err != nil {
			return err
		}
	}
	if ev&Writable != 0 {
		if err := b.change(fd, unix.EVFILT_WRITE, unix.EV_ADD, 0); err != nil {
			if ev&Readable != 0 {
				b.change(fd, unix.EVFILT_READ, unix.EV_DELETE, 0)
			}
			return err
		}
	}
	return nil
}

func (b *backend) modify(fd int, old, ev Events, _ uint32) error {
	// EV_ADD every wanted filter, not only the new ones: EV_ADD on a live
	// knote only updates it, but if fd was closed and its number reused
	// without Delete, close(2) took the knotes away and this registers the
	// file the number names now. (epoll's MOD fails with ENOENT there.)
	if err := b.add(fd, ev, 0); err != nil {
		return err
	}
	return b.delete(fd, old&^ev)
}

func (b *backend) delete(fd int, old Events) error {
	var first error
	for _, f := range []struct {
		ev     Events
		filter int
	}{{Readable, unix.EVFILT_READ}, {Writable, unix.EVFILT_WRITE}} {
		if old&f.ev == 0 {
			continue
		}
		err := b.change(fd, f.filter, unix.EV_DELETE, 0)
		if err != nil && err != unix.EBADF && err != unix.ENOENT && first == nil {
			first = err // EBADF, ENOENT: closed, and close(2) removed the knote
		}
	}
	return first
}

// poll reports what is ready now, without blocking.
func (b *backend) poll(buf []Event, regs map[int]registration) (int, error) {
	n, _, err := b.kevent(buf, regs, &b.zero)
	return n, err
}

// kevent waits up to ts (nil: forever) for events, merges them into buf
// and consumes the wake signal if it came (then woke is true). EINTR
// returns nothing and no error, for the caller to recompute its timeout.
func (b *backend) kevent(buf []Event, regs map[int]registration, ts *unix.Timespec) (n int, woke bool, err error) {
	if len(b.raw) < len(buf) {
		b.raw = make([]unix.Kevent_t, len(buf))
	}
	k, err := unix.Kevent(b.kq, nil, b.raw[:len(buf)], ts)
	switch {
	case err == unix.EINTR:
		return 0, false, nil
	case err != nil:
		return 0, false, os.NewSyscallError("kevent", err)
	}
	clear(b.index)
	for i := range b.raw[:k] {
		r := &b.raw[i]
		if b.wake.consume(b, r) {
			woke = true
			continue
		}
		fd := int(r.Ident)
		reg, ok := regs[fd]
		if !ok {
			continue // Delete removed its knotes; nothing to report
		}
		e := fromKevent(r, reg.ev)
		if j, ok := b.index[fd]; ok {
			buf[j].Events |= e
			continue
		}
		b.index[fd] = n
		buf[n] = Event{FD: fd, Tag: reg.tag, Events: e}
		n++
	}
	return n, woke, nil
}

// fromKevent maps one filter's event to Events within interest; never 0.
func fromKevent(r *unix.Kevent_t, interest Events) Events {
	var e Events
	switch {
	case r.Flags&unix.EV_ERROR != 0:
		e = allEvents
	case int(r.Filter) == unix.EVFILT_READ:
		e = Readable
	case int(r.Filter) == unix.EVFILT_WRITE:
		e = Writable
	}
	if e &= interest; e == 0 {
		e = interest
	}
	return e
}

// sleep blocks in kevent until an event, a Wake or the timeout (< 0: none;
// never 0 here).
func (b *backend) sleep(w *waker, buf []Event, regs map[int]registration, timeout time.Duration) (int, error) {
	defer w.leave()
	if w.enter(modeKernel) {
		return b.poll(buf, regs)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		var ts *unix.Timespec
		if timeout > 0 {
			t := unix.NsecToTimespec(int64(max(time.Until(deadline), 0)))
			ts = &t
		}
		n, woke, err := b.kevent(buf, regs, ts)
		if n > 0 || err != nil || w.pending.Load() {
			return n, err
		}
		if woke {
			w.stale.Add(1)
		}
		if timeout > 0 && !time.Now().Before(deadline) {
			return 0, nil
		}
	}
}

func (b *backend) close() error {
	b.kickMu.Lock()
	defer b.kickMu.Unlock()
	b.closed = true
	b.wake.close()
	return unix.Close(b.kq)
}

//go:build linux

package poller

// The epoll backend, and what to know about epoll.
//
// Registrations live on the open file description, not on the fd number.
// epoll_ctl takes an fd number, but the kernel keys the registration on the
// pair (struct file, fd number) and removes it only when the struct file is
// released, that is when its last descriptor is closed. If the fd was
// dup()ed, passed to a child, or is shared through SCM_RIGHTS, close(fd)
// does not remove the registration: events keep coming for the old file
// under the old fd number with the old event data, even after the number
// has been reused for something else, and there is no way left to delete
// the registration, because EPOLL_CTL_DEL would look up whatever the number
// means now. This is why event data carries the registration's tag next to
// the fd (data = uint64(tag)<<32 | uint32(fd) on little-endian machines; the
// kernel never interprets it) and why the loop must drop events whose tag
// is not the current one. It is also why the loop must Delete an fd before
// it closes it: then the registration goes away however many copies of the
// descriptor exist. If it does not, a dup()ed descriptor that stays ready
// makes every Wait return at once with the stale event until the last copy
// is closed.
//
// The Poller's own map (poller_unix.go) is the authority on what is
// registered. Delete after close finds EBADF (number free) or ENOENT
// (number reused by an unregistered file): the kernel already dropped its
// entry, so Delete succeeds. Add that meets EEXIST although the map does not
// know the fd has found such a leftover for the very same file (dup2 put it
// back under its old number); Add takes it over with EPOLL_CTL_MOD.
//
// Level-triggered, as Python's selectors: an fd that stays ready is
// reported again, so a handler that reads only part of the data loses
// nothing, at the price of the loop having to stop watching an fd it does
// not want to hear about. EPOLLET and EPOLLONESHOT are not used. Neither is
// EPOLLEXCLUSIVE, which only helps many epoll instances waiting on one fd,
// cannot be combined with EPOLL_CTL_MOD, and which one loop per core does
// not need (docs/design.md D11 shares a port with SO_REUSEPORT instead).
//
// Conditions. EPOLLERR and EPOLLHUP are always reported by the kernel,
// wanted or not; they become every registered interest, so the handler that
// is waiting meets the error in its read or write. EPOLLRDHUP (the peer shut
// down its write side) is requested with Readable only and maps to Readable
// only: the read side sees EOF, but the write side may still be fine, and
// waking a writer whose buffer is full would make the loop spin on a
// level-triggered condition it cannot clear.
//
// Unsupported fds. epoll refuses regular files and directories (EPERM);
// Add returns that error and the loop must treat such fds as always ready.
//
// Blocking. With fds registered, Wait does not block in epoll_wait: a
// goroutine blocked in a system call holds its thread, and waking it from
// another goroutine measured 40-100 µs here (docs/design.md D8). Instead the
// epoll fd, itself pollable, is made non-blocking and handed to os.NewFile,
// which registers it with Go's runtime netpoller. Wait reads from it through
// syscall.RawConn: the callback calls epoll_wait with timeout 0 and, if
// nothing is ready, returns false so the goroutine parks until the runtime
// sees the epoll fd become readable. The file's read deadline implements
// the timeout. The file must never be asked for Fd(), which would put the
// descriptor back into blocking mode.
//
// Waking. A Wake aimed at a parked Wait sets the file's read deadline to
// the distant past. os.File documents that a deadline applies to a pending
// Read, so the runtime readies the parked goroutine directly, from the
// waking goroutine, as a channel send would: no system call, no eventfd,
// nothing to drain, and no thread to wake when the waker's P can run the
// loop. Measured here per round trip (Wake, Wait returns, ack): about
// 1.2 µs, against about 4.6 µs for the eventfd that D8 first prescribed
// (an eventfd write, then the runtime's netpoller noticing the epoll fd).
// The price is that the deadline now has two writers. Wait re-arms it
// before every park, which also undoes an expiry left by a late Wake that
// was aimed at an earlier Wait, and it tells the cases apart when the Read
// fails with ErrDeadlineExceeded: pending set means woken; the real
// deadline passed means timed out; neither means a stale kick, so it
// re-arms and parks again. os.File serialises deadline changes with Close,
// so a Wake that races with Close gets ErrClosed, never a reused fd.
//
// epoll fds are created close-on-exec; a child never shares the set.

import (
	"errors"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// backend is the Linux half of osPoller.
type backend struct {
	epfd int
	file *os.File // owns epfd; parked in the runtime netpoller by sleep
	rc   syscall.RawConn
	raw  []unix.EpollEvent // scratch for epoll_wait; loop goroutine only

	// The state of one sleep's RawConn.Read callback, kept here with the
	// callback bound once (readFn) so that a blocking Wait allocates
	// nothing: a closure over locals escaped, 4 allocations per Wait,
	// which was all a transport echo round trip allocated (W5).
	readFn func(uintptr) bool
	rdW    *waker
	rdBuf  []Event
	rdRegs map[int]registration
	rdN    int
	rdErr  error
	polled bool
}

// readReady is sleep's RawConn.Read callback: poll once, and tell the
// runtime to park the goroutine when nothing is ready.
func (b *backend) readReady(uintptr) bool {
	b.polled = true
	b.rdN, b.rdErr = b.poll(b.rdBuf, b.rdRegs)
	return b.rdN > 0 || b.rdErr != nil || b.rdW.pending.Load()
}

// aLongTimeAgo is the read deadline a Wake sets to unpark Wait.
var aLongTimeAgo = time.Unix(1, 0)

func (b *backend) init() (err error) {
	b.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	if err := unix.SetNonblock(b.epfd, true); err != nil {
		unix.Close(b.epfd)
		return os.NewSyscallError("setnonblock", err)
	}
	b.file = os.NewFile(uintptr(b.epfd), "epoll")
	if b.rc, err = b.file.SyscallConn(); err == nil {
		// Fails with ErrNoDeadline if the netpoller did not take the fd.
		err = b.file.SetReadDeadline(time.Time{})
	}
	if err != nil {
		b.file.Close()
		return err
	}
	return nil
}

func (b *backend) kick() error {
	err := b.file.SetReadDeadline(aLongTimeAgo)
	if errors.Is(err, os.ErrClosed) {
		return ErrClosed
	}
	return err
}

func epollEvents(ev Events, tag uint32, fd int) *unix.EpollEvent {
	e := &unix.EpollEvent{Fd: int32(fd), Pad: int32(tag)}
	if ev&Readable != 0 {
		e.Events |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if ev&Writable != 0 {
		e.Events |= unix.EPOLLOUT
	}
	return e
}

func (b *backend) add(fd int, ev Events, tag uint32) error {
	err := unix.EpollCtl(b.epfd, unix.EPOLL_CTL_ADD, fd, epollEvents(ev, tag, fd))
	if err == unix.EEXIST {
		// A registration the Poller had forgotten for this same open
		// file (see the essay above): take it over.
		err = unix.EpollCtl(b.epfd, unix.EPOLL_CTL_MOD, fd, epollEvents(ev, tag, fd))
	}
	return err
}

func (b *backend) modify(fd int, _, ev Events, tag uint32) error {
	return unix.EpollCtl(b.epfd, unix.EPOLL_CTL_MOD, fd, epollEvents(ev, tag, fd))
}

func (b *backend) delete(fd int, _ Events) error {
	err := unix.EpollCtl(b.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	if err == unix.EBADF || err == unix.ENOENT {
		return nil // closed: the kernel dropped the registration already
	}
	return err
}

// poll calls epoll_wait with timeout 0 and converts the events into buf.
func (b *backend) poll(buf []Event, regs map[int]registration) (int, error) {
	if len(b.raw) < len(buf) {
		b.raw = make([]unix.EpollEvent, len(buf))
	}
	var k int
	var err error
	for {
		k, err = epollPoll(b.epfd, b.raw[:len(buf)])
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	for i, r := range b.raw[:k] {
		fd, tag := int(r.Fd), uint32(r.Pad)
		interest := allEvents // a stale registration: the loop drops it
		if reg, ok := regs[fd]; ok && reg.tag == tag {
			interest = reg.ev
		}
		buf[i] = Event{FD: fd, Tag: tag, Events: fromEpoll(r.Events, interest)}
	}
	return k, nil
}

// epollPoll is epoll_wait with a zero timeout, made as a raw system call:
// it never blocks, and the runtime's syscall bookkeeping would wake the
// system monitor on every poll that follows an idle wait (the monitor then
// polls every 20 µs for a while, preempting the loop thread; see
// readNonblock in eventloop). events is not empty.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// fromEpoll maps epoll conditions to Events within interest; never 0.
func fromEpoll(raw uint32, interest Events) Events {
	var e Events
	if raw&(unix.EPOLLIN|unix.EPOLLRDHUP) != 0 {
		e |= Readable
	}
	if raw&unix.EPOLLOUT != 0 {
		e |= Writable
	}
	if raw&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		e |= allEvents
	}
	if e &= interest; e == 0 {
		e = interest
	}
	return e
}

// sleep parks in the runtime netpoller until an event, a Wake or the
// timeout (< 0: none; never 0 here).
func (b *backend) sleep(w *waker, buf []Event, regs map[int]registration, timeout time.Duration) (int, error) {
	defer w.leave()
	if w.enter(modeKernel) {
		return b.poll(buf, regs)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	b.polled = false
	b.rdW, b.rdBuf, b.rdRegs = w, buf, regs
	defer func() { b.rdW, b.rdBuf, b.rdRegs, b.rdErr = nil, nil, nil, nil }()
	if b.readFn == nil {
		b.readFn = b.readReady
	}
	for {
		// Arm the timeout, and undo an expiry left by a stale kick.
		// Must come before the callback reads pending: a kick that lands
		// before this line is then seen through pending, one that lands
		// after it expires the deadline we set.
		if err := b.file.SetReadDeadline(deadline); err != nil {
			return 0, err
		}
		err := b.rc.Read(b.readFn)
		switch {
		case err == nil:
			return b.rdN, b.rdErr
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return 0, err
		case w.pending.Load(), // kicked
			timeout > 0 && !time.Now().Before(deadline): // timed out
			// Read fails before its callback runs when the deadline
			// has already expired: a tiny timeout, an early kick.
			// Wait promises one look at the kernel all the same.
			if !b.polled {
				return b.poll(buf, regs)
			}
			return 0, nil
		}
		w.stale.Add(1) // a kick for a Wake that an earlier Wait consumed
	}
}

func (b *backend) close() error {
	return b.file.Close()
}

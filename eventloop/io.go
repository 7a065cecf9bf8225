package eventloop

import (
	"errors"
	"fmt"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/internal/poller"
)

// fdReg is what the loop watches on one file descriptor. gen is the tag
// given to the poller: an event that comes back with another generation
// belongs to an earlier registration of the same fd number (the fd was
// closed and its number reused, or a dup kept the old file registered) and
// is dropped, so a stale event never reaches the new owner.
type fdReg struct {
	gen            uint32
	reader, writer *ioHandle
}

// ioHandle is one reader or writer callback. Removing it marks it
// cancelled, so an event already queued for it in this iteration is skipped.
type ioHandle struct {
	fn        func()
	cancelled bool
	run       func()
}

func newIOHandle(fn func()) *ioHandle {
	h := &ioHandle{fn: fn}
	h.run = func() {
		if !h.cancelled {
			h.fn()
		}
	}
	return h
}

func (r *fdReg) events() poller.Events {
	var ev poller.Events
	if r.reader != nil {
		ev |= poller.Readable
	}
	if r.writer != nil {
		ev |= poller.Writable
	}
	return ev
}

// ErrFDOwned is returned by AddReader, AddWriter, RemoveReader and
// RemoveWriter for a descriptor a transport owns (asyncio: "File
// descriptor is used by transport"): watching it would take its events
// away from the transport. The transport watches it through its FDClaim.
var ErrFDOwned = errors.New("eventloop: file descriptor is used by a transport")

// FDClaim is the hold of one owner (a transport) on a file descriptor,
// made by ClaimFD: while it lasts the loop's own AddReader, AddWriter,
// RemoveReader and RemoveWriter refuse the descriptor with ErrFDOwned, and
// the owner watches it through the claim's methods, which cost what the
// loop's do. The zero FDClaim claims nothing. Loop goroutine only.
type FDClaim struct {
	l  *Loop
	fd int
}

// ClaimFD claims fd for owner (named by owner's String in the errors
// others get) until Release. A descriptor already claimed is refused
// with ErrFDOwned; an fd the loop already watches for someone else is
// not checked (the claim takes it over). Loop goroutine only.
func (l *Loop) ClaimFD(fd int, owner fmt.Stringer) (FDClaim, error) {
	if err := l.check("ClaimFD"); err != nil {
		return FDClaim{}, err
	}
	if fd < 0 {
		return FDClaim{}, fmt.Errorf("eventloop: ClaimFD: invalid fd %d", fd)
	}
	if o, ok := l.owned[fd]; ok {
		return FDClaim{}, fmt.Errorf("eventloop: ClaimFD: fd %d, owned by %s: %w", fd, o, ErrFDOwned)
	}
	if l.owned == nil {
		l.owned = map[int]fmt.Stringer{}
	}
	l.owned[fd] = owner
	return FDClaim{l: l, fd: fd}, nil
}

// AddReader is Loop.AddReader on the claimed descriptor.
func (c FDClaim) AddReader(fn func()) error { return c.l.addIO("AddReader", c.fd, fn, true) }

// AddWriter is Loop.AddWriter on the claimed descriptor.
func (c FDClaim) AddWriter(fn func()) error { return c.l.addIO("AddWriter", c.fd, fn, false) }

// RemoveReader is Loop.RemoveReader on the claimed descriptor.
func (c FDClaim) RemoveReader() (bool, error) { return c.l.removeIO("RemoveReader", c.fd, true) }

// RemoveWriter is Loop.RemoveWriter on the claimed descriptor.
func (c FDClaim) RemoveWriter() (bool, error) { return c.l.removeIO("RemoveWriter", c.fd, false) }

// Release stops watching the descriptor and gives up the claim; call it
// before closing the descriptor. Idempotent; a no-op on the zero FDClaim.
func (c *FDClaim) Release() {
	if c.l == nil {
		return
	}
	c.l.removeIO("RemoveReader", c.fd, true)
	c.l.removeIO("RemoveWriter", c.fd, false)
	delete(c.l.owned, c.fd)
	*c = FDClaim{}
}

// CheckFDFree returns an error matching ErrFDOwned, naming the owner, when
// a transport owns fd (ClaimFD), and nil otherwise: for calls that would
// use the descriptor directly (the Sock* awaits). One map look-up, none
// while no fd is claimed. Loop goroutine only.
func (l *Loop) CheckFDFree(fd int) error {
	if o, ok := l.owned[fd]; ok {
		return fmt.Errorf("%w: fd %d, owned by %s", ErrFDOwned, fd, o)
	}
	return nil
}

// ownedErr returns ErrFDOwned (naming the owner) when fd is claimed. Only
// the loop's public fd methods ask; claims skip it.
func (l *Loop) ownedErr(op string, fd int) error {
	if len(l.owned) == 0 {
		return nil
	}
	if o, ok := l.owned[fd]; ok {
		return fmt.Errorf("eventloop: %s: fd %d, owned by %s: %w", op, fd, o, ErrFDOwned)
	}
	return nil
}

// AddReader calls fn whenever fd is readable (level-triggered, as asyncio),
// until RemoveReader. A second AddReader for the same fd replaces the
// callback. The fd must be open; the loop does not own or close it. An fd
// a transport owns (ClaimFD) is refused with ErrFDOwned.
// Loop goroutine (or running task) only.
func (l *Loop) AddReader(fd int, fn func()) error {
	if err := l.ownedErr("AddReader", fd); err != nil {
		return err
	}
	return l.addIO("AddReader", fd, fn, true)
}

// AddWriter calls fn whenever fd is writable, until RemoveWriter. An fd a
// transport owns is refused with ErrFDOwned.
// Loop goroutine (or running task) only.
func (l *Loop) AddWriter(fd int, fn func()) error {
	if err := l.ownedErr("AddWriter", fd); err != nil {
		return err
	}
	return l.addIO("AddWriter", fd, fn, false)
}

// RemoveReader stops watching fd for reading and reports whether a reader
// was registered. Call it before closing the fd. An fd a transport owns
// is refused with ErrFDOwned. Loop goroutine only.
func (l *Loop) RemoveReader(fd int) (bool, error) {
	if err := l.ownedErr("RemoveReader", fd); err != nil {
		return false, err
	}
	return l.removeIO("RemoveReader", fd, true)
}

// RemoveWriter stops watching fd for writing and reports whether a writer
// was registered. An fd a transport owns is refused with ErrFDOwned. Loop
// goroutine only.
func (l *Loop) RemoveWriter(fd int) (bool, error) {
	if err := l.ownedErr("RemoveWriter", fd); err != nil {
		return false, err
	}
	return l.removeIO("RemoveWriter", fd, false)
}

func (l *Loop) addIO(op string, fd int, fn func(), read bool) error {
	if err := l.check(op); err != nil {
		return err
	}
	if fn == nil {
		return errs.Op("eventloop", op, ErrNilCallback)
	}
	if fd < 0 {
		return fmt.Errorf("eventloop: %s: invalid fd %d", op, fd)
	}
	h := newIOHandle(fn)
	reg := l.fds[fd]
	if reg == nil {
		reg = &fdReg{}
		if read {
			reg.reader = h
		} else {
			reg.writer = h
		}
		l.fdGen++
		reg.gen = l.fdGen
		if err := l.poller.Add(fd, reg.events(), reg.gen); err != nil {
			return fmt.Errorf("eventloop: %s: fd %d: %w", op, fd, err)
		}
		l.fds[fd] = reg
		return nil
	}
	old := reg.reader
	if !read {
		old = reg.writer
	}
	next := *reg
	if read {
		next.reader = h
	} else {
		next.writer = h
	}
	if err := l.poller.Modify(fd, next.events(), reg.gen); err != nil {
		// The kernel lost the registration: the fd was closed (and maybe
		// its number reused) without Remove. Register afresh under a new
		// generation so events of the old file are recognised as stale.
		l.poller.Delete(fd)
		l.fdGen++
		next.gen = l.fdGen
		if err2 := l.poller.Add(fd, next.events(), next.gen); err2 != nil {
			delete(l.fds, fd)
			if old != nil {
				old.cancelled = true
			}
			return fmt.Errorf("eventloop: %s: fd %d: %w", op, fd, err2)
		}
	}
	if old != nil {
		old.cancelled = true
	}
	*reg = next
	return nil
}

func (l *Loop) removeIO(op string, fd int, read bool) (bool, error) {
	if err := l.check(op); err != nil {
		return false, err
	}
	reg := l.fds[fd]
	if reg == nil {
		return false, nil
	}
	h := &reg.writer
	if read {
		h = &reg.reader
	}
	if *h == nil {
		return false, nil
	}
	(*h).cancelled = true
	*h = nil
	if ev := reg.events(); ev == 0 {
		delete(l.fds, fd)
		l.poller.Delete(fd) // the fd may already be closed; nothing to undo then
	} else if err := l.poller.Modify(fd, ev, reg.gen); err != nil {
		delete(l.fds, fd)
		l.poller.Delete(fd)
	}
	return true, nil
}

// dispatchIO queues the handlers of the fds the poller reported, dropping
// events whose generation is stale.
func (l *Loop) dispatchIO(events []poller.Event) {
	for _, ev := range events {
		reg := l.fds[ev.FD]
		if reg == nil || reg.gen != ev.Tag {
			continue
		}
		l.stats.IOEvents++
		if l.tracer != nil {
			l.traceIO(ev)
		}
		if ev.Events&poller.Readable != 0 && reg.reader != nil {
			l.ready.push(reg.reader.run)
		}
		if ev.Events&poller.Writable != 0 && reg.writer != nil {
			l.ready.push(reg.writer.run)
		}
	}
}

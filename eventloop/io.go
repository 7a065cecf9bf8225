package eventloop

import (
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

// AddReader calls fn whenever fd is readable (level-triggered, as asyncio),
// until RemoveReader. A second AddReader for the same fd replaces the
// callback. The fd must be open; the loop does not own or close it.
// Loop goroutine (or running task) only.
func (l *Loop) AddReader(fd int, fn func()) error { return l.addIO("AddReader", fd, fn, true) }

// AddWriter calls fn whenever fd is writable, until RemoveWriter.
// Loop goroutine (or running task) only.
func (l *Loop) AddWriter(fd int, fn func()) error { return l.addIO("AddWriter", fd, fn, false) }

// RemoveReader stops watching fd for reading and reports whether a reader
// was registered. Call it before closing the fd. Loop goroutine only.
func (l *Loop) RemoveReader(fd int) (bool, error) { return l.removeIO("RemoveReader", fd, true) }

// RemoveWriter stops watching fd for writing and reports whether a writer
// was registered. Loop goroutine only.
func (l *Loop) RemoveWriter(fd int) (bool, error) { return l.removeIO("RemoveWriter", fd, false) }

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

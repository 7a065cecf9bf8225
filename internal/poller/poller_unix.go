//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package poller

import (
	"errors"
	"time"
)

// osPoller is the Poller of New. It keeps the registrations, validates
// arguments and runs the parts of Wait that do not depend on the kernel;
// backend (poller_epoll.go, poller_kqueue.go) talks to the kernel.
type osPoller struct {
	w      waker
	regs   map[int]registration // registered fds; loop goroutine only
	b      backend
	closed bool // loop goroutine's view; w.closed is the one Wake reads
}

// New returns a Poller backed by epoll on Linux and by kqueue on darwin and
// the BSDs. Close it to release its file descriptors.
func New() (Poller, error) {
	p := &osPoller{regs: make(map[int]registration)}
	if err := p.b.init(); err != nil {
		return nil, err
	}
	p.w.init(p.b.kick)
	return p, nil
}

func (p *osPoller) Add(fd int, ev Events, tag uint32) error {
	if p.closed {
		return ErrClosed
	}
	if err := checkArgs("add", fd, ev); err != nil {
		return err
	}
	if _, ok := p.regs[fd]; ok {
		return &OpError{"add", fd, ErrRegistered}
	}
	if err := p.b.add(fd, ev, tag); err != nil {
		return &OpError{"add", fd, err}
	}
	p.regs[fd] = registration{ev, tag}
	return nil
}

func (p *osPoller) Modify(fd int, ev Events, tag uint32) error {
	if p.closed {
		return ErrClosed
	}
	if err := checkArgs("modify", fd, ev); err != nil {
		return err
	}
	old, ok := p.regs[fd]
	if !ok {
		return &OpError{"modify", fd, ErrNotRegistered}
	}
	if err := p.b.modify(fd, old.ev, ev, tag); err != nil {
		return &OpError{"modify", fd, err}
	}
	p.regs[fd] = registration{ev, tag}
	return nil
}

func (p *osPoller) Delete(fd int) error {
	if p.closed {
		return ErrClosed
	}
	old, ok := p.regs[fd]
	if !ok {
		return &OpError{"delete", fd, ErrNotRegistered}
	}
	delete(p.regs, fd)
	if err := p.b.delete(fd, old.ev); err != nil {
		return &OpError{"delete", fd, err}
	}
	return nil
}

func (p *osPoller) Wait(buf []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(buf) == 0 {
		return 0, &OpError{"wait", -1, errEmptyBuffer}
	}
	p.w.waits.Add(1)
	defer p.w.consume()
	var n int
	var err error
	switch {
	case timeout == 0 || p.w.pending.Load():
		if len(p.regs) > 0 {
			n, err = p.b.poll(buf, p.regs)
		}
	case len(p.regs) == 0:
		p.w.sleepChan(timeout, nil)
	default:
		n, err = p.b.sleep(&p.w, buf, p.regs, timeout)
	}
	if err != nil {
		return 0, &OpError{"wait", -1, err}
	}
	return n, nil
}

func (p *osPoller) Wake() error {
	err := p.w.wake()
	if err != nil && !errors.Is(err, ErrClosed) {
		return &OpError{"wake", -1, err}
	}
	return err
}

func (p *osPoller) Registered() int { return len(p.regs) }

func (p *osPoller) Stats() Stats { return p.w.stats() }

func (p *osPoller) Close() error {
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	p.w.closed.Store(true)
	p.regs = nil
	if err := p.b.close(); err != nil {
		return &OpError{"close", -1, err}
	}
	return nil
}

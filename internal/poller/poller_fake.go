package poller

import (
	"maps"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Fake is an in-memory Poller for tests of the layers above. Its fds are
// integers the test chooses; nothing touches the kernel. A test makes an fd
// ready with SetReady and not ready with ClearReady, from any goroutine;
// Wait reports the registered interests that are ready, level-triggered,
// and a blocked Wait returns when SetReady makes a registered fd ready.
// Wake, timeouts, ErrClosed and the registration rules are those of New.
//
// Create it with NewFake; the zero value is not usable.
type Fake struct {
	w waker

	mu     sync.Mutex      // protects regs, ready, closed
	regs   map[int]fakeReg // registered fds, as New's map
	ready  map[int]Events  // readiness set by the test
	closed bool            // Close was called
	resume int             // when buf filled up, collect resumes after this fd
	change chan struct{}   // capacity 1: readiness changed; wakes a blocked Wait
}

type fakeReg struct {
	registration
	gone bool // CloseFD was called: the "kernel" dropped the registration
}

// NewFake returns an empty Fake. Unlike New it uses no kernel resources, but
// Close still makes every later call return ErrClosed.
func NewFake() *Fake {
	f := &Fake{
		regs:   make(map[int]fakeReg),
		ready:  make(map[int]Events),
		resume: -1,
		change: make(chan struct{}, 1),
	}
	f.w.init(nil)
	return f
}

// SetReady adds ev to the readiness of fd, whether or not fd is registered.
// Any goroutine may call it.
func (f *Fake) SetReady(fd int, ev Events) {
	f.mu.Lock()
	f.ready[fd] |= ev
	f.mu.Unlock()
	select {
	case f.change <- struct{}{}:
	default:
	}
}

// ClearReady removes ev from the readiness of fd. Any goroutine may call it.
func (f *Fake) ClearReady(fd int, ev Events) {
	f.mu.Lock()
	if f.ready[fd] &^= ev; f.ready[fd] == 0 {
		delete(f.ready, fd)
	}
	f.mu.Unlock()
}

// CloseFD simulates close(2) on an fd without a duplicate: its readiness
// is cleared and, like the kernel, the Fake forgets the registration without
// forgetting that the fd was registered. As with New, Delete then returns
// nil, Modify fails with EBADF and Add of the same number fails with
// ErrRegistered until Delete. Any goroutine may call it.
func (f *Fake) CloseFD(fd int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ready, fd)
	if r, ok := f.regs[fd]; ok {
		r.gone = true
		f.regs[fd] = r
	}
}

// Add implements Poller.Add. A negative fd fails with EBADF; any other
// number is accepted, open or not.
func (f *Fake) Add(fd int, ev Events, tag uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.closed:
		return ErrClosed
	case fd < 0:
		return &OpError{"add", fd, syscall.EBADF}
	}
	if err := checkArgs("add", fd, ev); err != nil {
		return err
	}
	if _, ok := f.regs[fd]; ok {
		return &OpError{"add", fd, ErrRegistered}
	}
	f.regs[fd] = fakeReg{registration: registration{ev, tag}}
	return nil
}

// Modify implements Poller.Modify; after CloseFD it fails with EBADF.
func (f *Fake) Modify(fd int, ev Events, tag uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	if err := checkArgs("modify", fd, ev); err != nil {
		return err
	}
	r, ok := f.regs[fd]
	switch {
	case !ok:
		return &OpError{"modify", fd, ErrNotRegistered}
	case r.gone:
		return &OpError{"modify", fd, syscall.EBADF}
	}
	f.regs[fd] = fakeReg{registration: registration{ev, tag}}
	return nil
}

// Delete implements Poller.Delete; after CloseFD it returns nil.
func (f *Fake) Delete(fd int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	if _, ok := f.regs[fd]; !ok {
		return &OpError{"delete", fd, ErrNotRegistered}
	}
	delete(f.regs, fd)
	return nil
}

// Wait implements Poller.Wait. It reports registered interests that are
// ready, in ascending fd order, and a SetReady during a blocked Wait ends it.
// Timeouts are real time.
func (f *Fake) Wait(buf []Event, timeout time.Duration) (int, error) {
	if len(buf) == 0 {
		return 0, &OpError{"wait", -1, errEmptyBuffer}
	}
	f.w.waits.Add(1)
	defer f.w.consume()
	for {
		// Tokens already sent are about changes collect is about to see.
		select {
		case <-f.change:
		default:
		}
		n, err := f.collect(buf)
		if n > 0 || err != nil || timeout == 0 || f.w.pending.Load() {
			return n, err
		}
		// Any token on f.change may be for an fd that is not registered:
		// collect again and sleep again on the rest of the timeout.
		start := time.Now()
		if !f.w.sleepChan(timeout, f.change) {
			return 0, nil // woken or timed out
		}
		if timeout > 0 {
			if timeout -= time.Since(start); timeout <= 0 {
				timeout = 0 // collect once more, then report the timeout
			}
		}
	}
}

// collect stores the ready registered interests in buf, in ascending fd
// order so that runs repeat exactly. When buf fills up, the next collect
// starts after the last fd reported (as epoll rotates its ready list), so a
// small buf cannot starve high fds.
func (f *Fake) collect(buf []Event) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrClosed
	}
	fds := slices.Sorted(maps.Keys(f.regs))
	start, _ := slices.BinarySearch(fds, f.resume+1)
	n := 0
	for i := range fds {
		fd := fds[(start+i)%len(fds)]
		r := f.regs[fd]
		if ev := f.ready[fd] & r.ev; ev != 0 && !r.gone {
			buf[n] = Event{FD: fd, Tag: r.tag, Events: ev}
			if n++; n == len(buf) {
				f.resume = fd
				return n, nil
			}
		}
	}
	f.resume = -1
	return n, nil
}

// Wake implements Poller.Wake. Any goroutine may call it.
func (f *Fake) Wake() error { return f.w.wake() }

// Registered implements Poller.Registered.
func (f *Fake) Registered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.regs)
}

// Stats implements Poller.Stats. KernelWakes stays 0: a Fake always
// waits on its channel.
func (f *Fake) Stats() Stats { return f.w.stats() }

// Close implements Poller.Close.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	f.closed = true
	f.w.closed.Store(true)
	return nil
}

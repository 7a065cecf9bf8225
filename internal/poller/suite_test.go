package poller

// The conformance suite: every Poller implementation runs runConformance
// through a harness that knows how to make its file descriptors ready.

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// hangGuard bounds every Wait a test expects to return; it is a guard
// against hangs, never a measurement.
const hangGuard = 10 * time.Second

// errBADF is what Add of a closed fd wraps (syscall.EBADF == unix.EBADF).
var errBADF error = syscall.EBADF

// harness gives the suite file descriptors of one kind and a Poller that
// watches them. Each subtest gets a fresh harness; its fds are closed and its
// Poller is closed by t.Cleanup.
type harness interface {
	poller() Poller
	// pair returns the two ends of a connected stream: both writable,
	// neither readable.
	pair() (a, b int)
	// pairAt is pair, with a at fd number want, which must be free.
	pairAt(want int) (a, b int)
	send(fd int)      // write one byte into fd: its peer becomes readable
	drain(fd int)     // read all that is pending on fd
	fill(fd int)      // write into fd until it is not writable
	closeFD(fd int)   // close fd: its peer sees a hang-up
	shutWrite(fd int) // shut down fd's write side: its peer sees EOF
	// real reports whether fds are kernel fds (for tests of the kernel's
	// own rules, like EBADF).
	real() bool
}

func runConformance(t *testing.T, newHarness func(t *testing.T) harness) {
	for _, tc := range conformanceTests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newHarness(t)) })
	}
}

var conformanceTests = []struct {
	name string
	run  func(t *testing.T, h harness)
}{
	{"Readable", testReadable},
	{"Writable", testWritable},
	{"LevelTriggered", testLevelTriggered},
	{"BothInterestsOneEvent", testBothInterests},
	{"Modify", testModify},
	{"Delete", testDelete},
	{"DeleteAfterClose", testDeleteAfterClose},
	{"DuplicateAdd", testDuplicateAdd},
	{"BadArguments", testBadArguments},
	{"BadFD", testBadFD},
	{"Tags", testTags},
	{"FDReuse", testFDReuse},
	{"ReuseWithoutDelete", testReuseWithoutDelete},
	{"HangUp", testHangUp},
	{"HalfClose", testHalfClose},
	{"SmallBuffer", testSmallBuffer},
	{"TimeoutZero", testTimeoutZero},
	{"TimeoutPositive", testTimeoutPositive},
	{"TinyTimeoutStillPolls", testTinyTimeoutStillPolls},
	{"ReadyDuringWait", testReadyDuringWait},
	{"WakeBeforeWait", testWakeBeforeWait},
	{"WakeFromGoroutineBeforeWait", testWakeFromGoroutineBeforeWait},
	{"WakeDuringWait", testWakeDuringWait},
	{"WakeDedupe", testWakeDedupe},
	{"WakeIsConsumed", testWakeIsConsumed},
	{"Close", testClose},
}

// modes runs f twice: with no fd registered (the loop blocks on a channel)
// and with one idle fd registered (it blocks on the kernel poller).
func modes(t *testing.T, h harness, f func(t *testing.T, p Poller, kernel bool)) {
	t.Run("NoFDs", func(t *testing.T) { f(t, h.poller(), false) })
	t.Run("WithFDs", func(t *testing.T) {
		a, _ := h.pair()
		p := h.poller()
		mustAdd(t, p, a, Readable, 0)
		f(t, p, true)
		mustDelete(t, p, a)
	})
}

// waitGuard calls Wait on another goroutine and fails the test if it does
// not return within hangGuard.
func waitGuard(t *testing.T, p Poller, buf []Event, timeout time.Duration) []Event {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := p.Wait(buf, timeout)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Wait(%v): %v", timeout, r.err)
		}
		return buf[:r.n]
	case <-time.After(hangGuard):
		p.Wake() // let the goroutine go, so goleak reports the real failure
		t.Fatalf("Wait(%v) did not return within %v", timeout, hangGuard)
		return nil
	}
}

// wait is waitGuard with a fresh buffer of 8.
func wait(t *testing.T, p Poller, timeout time.Duration) []Event {
	t.Helper()
	return waitGuard(t, p, make([]Event, 8), timeout)
}

// waitFor waits until an event for fd arrives and returns it; events for
// other fds are returned too, for the caller to check.
func waitFor(t *testing.T, p Poller, fd int) (Event, []Event) {
	t.Helper()
	var all []Event
	for range 100 {
		evs := wait(t, p, -1)
		all = append(all, evs...)
		for _, e := range evs {
			if e.FD == fd {
				return e, all
			}
		}
	}
	t.Fatalf("no event for fd %d in 100 Waits; got %v", fd, all)
	return Event{}, nil
}

func expectNone(t *testing.T, p Poller) {
	t.Helper()
	if evs := wait(t, p, 0); len(evs) != 0 {
		t.Fatalf("Wait(0) = %v, want no events", evs)
	}
}

func expectOnly(t *testing.T, p Poller, want Event) {
	t.Helper()
	got, all := waitFor(t, p, want.FD)
	if got != want || len(all) != 1 {
		t.Fatalf("events = %v, want only %v", all, want)
	}
}

func mustAdd(t *testing.T, p Poller, fd int, ev Events, tag uint32) {
	t.Helper()
	if err := p.Add(fd, ev, tag); err != nil {
		t.Fatalf("Add(%d, %v, %d): %v", fd, ev, tag, err)
	}
}

func mustModify(t *testing.T, p Poller, fd int, ev Events, tag uint32) {
	t.Helper()
	if err := p.Modify(fd, ev, tag); err != nil {
		t.Fatalf("Modify(%d, %v, %d): %v", fd, ev, tag, err)
	}
}

func mustDelete(t *testing.T, p Poller, fd int) {
	t.Helper()
	if err := p.Delete(fd); err != nil {
		t.Fatalf("Delete(%d): %v", fd, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want an error wrapping %v", what, err, want)
	}
}

func testReadable(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable, 7)
	expectNone(t, p)
	h.send(b)
	expectOnly(t, p, Event{FD: a, Tag: 7, Events: Readable})
}

func testWritable(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Writable, 1)
	expectOnly(t, p, Event{FD: a, Tag: 1, Events: Writable})
	h.fill(a)
	expectNone(t, p)
	h.drain(b)
	expectOnly(t, p, Event{FD: a, Tag: 1, Events: Writable})
}

func testLevelTriggered(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.send(b)
	want := Event{FD: a, Tag: 1, Events: Readable}
	for range 3 {
		expectOnly(t, p, want) // not drained: reported again
	}
	h.drain(a)
	expectNone(t, p)
}

func testBothInterests(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable|Writable, 3)
	h.send(b)
	// One event with both, not two events: the kqueue backend merges its
	// per-filter events.
	for range 100 {
		evs := wait(t, p, -1)
		if len(evs) != 1 || evs[0].FD != a || evs[0].Tag != 3 {
			t.Fatalf("events = %v, want one event for fd %d", evs, a)
		}
		if evs[0].Events == Readable|Writable {
			return
		}
		// Writable alone: the byte has not arrived yet.
	}
	t.Fatal("never saw Readable|Writable")
}

func testModify(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable, 1)
	expectNone(t, p) // writable, but nobody asked
	mustModify(t, p, a, Writable, 2)
	expectOnly(t, p, Event{FD: a, Tag: 2, Events: Writable})
	mustModify(t, p, a, Readable, 3)
	expectNone(t, p)
	h.send(b)
	expectOnly(t, p, Event{FD: a, Tag: 3, Events: Readable})
	if n := p.Registered(); n != 1 {
		t.Fatalf("Registered() = %d, want 1", n)
	}
	c, _ := h.pair()
	wantErr(t, "Modify(unregistered)", p.Modify(c, Readable, 1), ErrNotRegistered)
}

func testDelete(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable|Writable, 1)
	h.send(b)
	mustDelete(t, p, a)
	expectNone(t, p)
	if n := p.Registered(); n != 0 {
		t.Fatalf("Registered() = %d, want 0", n)
	}
	wantErr(t, "second Delete", p.Delete(a), ErrNotRegistered)
	mustAdd(t, p, a, Readable, 2) // can come back
	expectOnly(t, p, Event{FD: a, Tag: 2, Events: Readable})
}

func testDeleteAfterClose(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a)
	if err := p.Delete(a); err != nil {
		t.Fatalf("Delete after close = %v, want nil", err)
	}
	if n := p.Registered(); n != 0 {
		t.Fatalf("Registered() = %d, want 0", n)
	}
	expectNone(t, p)
}

func testDuplicateAdd(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	wantErr(t, "second Add", p.Add(a, Writable, 2), ErrRegistered)
	if n := p.Registered(); n != 1 {
		t.Fatalf("Registered() = %d, want 1", n)
	}
	// The failed Add changed nothing.
	expectNone(t, p)
}

func testBadArguments(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	for _, ev := range []Events{0, 4, Readable | 8} {
		if err := p.Add(a, ev, 0); err == nil {
			t.Errorf("Add(%v) = nil, want an error", ev)
		}
	}
	mustAdd(t, p, a, Readable, 1)
	if err := p.Modify(a, 0, 0); err == nil {
		t.Error("Modify(0) = nil, want an error")
	}
	if _, err := p.Wait(nil, 0); err == nil {
		t.Error("Wait(nil buffer) = nil error, want one")
	}
	var opErr *OpError
	if err := p.Add(a, Readable, 1); !errors.As(err, &opErr) || opErr.Op != "add" || opErr.FD != a {
		t.Errorf("Add error = %#v, want *OpError{Op: add, FD: %d}", err, a)
	}
}

func testBadFD(t *testing.T, h harness) {
	p := h.poller()
	if err := p.Add(-1, Readable, 0); err == nil {
		t.Error("Add(-1) = nil, want an error")
	}
	if !h.real() {
		return
	}
	a, _ := h.pair()
	h.closeFD(a)
	wantErr(t, "Add(closed fd)", p.Add(a, Readable, 0), errBADF)
	if n := p.Registered(); n != 0 {
		t.Fatalf("Registered() = %d after a failed Add, want 0", n)
	}
}

func testTags(t *testing.T, h harness) {
	p := h.poller()
	tags := []uint32{0, 1, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff}
	fds := map[int]uint32{}
	for _, tag := range tags {
		a, b := h.pair()
		mustAdd(t, p, a, Readable, tag)
		h.send(b)
		fds[a] = tag
	}
	seen := map[int]bool{}
	buf := make([]Event, len(tags)+1)
	for len(seen) < len(tags) {
		for _, e := range waitGuard(t, p, buf, -1) {
			if want, ok := fds[e.FD]; !ok || e.Tag != want {
				t.Fatalf("event %+v: want tag %#x for fd %d", e, want, e.FD)
			}
			seen[e.FD] = true
		}
	}
	for fd := range fds {
		mustModify(t, p, fd, Readable, ^fds[fd])
		fds[fd] = ^fds[fd]
	}
	for _, e := range waitGuard(t, p, buf, -1) {
		if e.Tag != fds[e.FD] {
			t.Fatalf("after Modify, event %+v: want tag %#x", e, fds[e.FD])
		}
	}
}

// testFDReuse: a registration for a closed fd must not leak into the one
// for the fd that reuses its number.
func testFDReuse(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a)
	mustDelete(t, p, a)
	c, d := h.pairAt(a)
	mustAdd(t, p, c, Readable, 2)
	expectNone(t, p)
	h.send(d)
	for range 3 {
		expectOnly(t, p, Event{FD: a, Tag: 2, Events: Readable})
	}
	h.drain(c)
	expectNone(t, p)
}

// testReuseWithoutDelete: registrations belong to the Poller, so a number
// that was closed but not deleted is still registered.
func testReuseWithoutDelete(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(a)
	c, d := h.pairAt(a)
	wantErr(t, "Add(reused number)", p.Add(c, Readable, 2), ErrRegistered)
	mustDelete(t, p, c)
	mustAdd(t, p, c, Readable, 2)
	h.send(d)
	expectOnly(t, p, Event{FD: c, Tag: 2, Events: Readable})
}

func testHangUp(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable, 1)
	h.closeFD(b)
	expectOnly(t, p, Event{FD: a, Tag: 1, Events: Readable})

	// A hang-up is every registered interest, even one that is not ready
	// by itself: the writer must learn that its peer is gone.
	c, d := h.pair()
	h.fill(c)
	mustAdd(t, p, c, Readable|Writable, 2)
	mustDelete(t, p, a)
	expectNone(t, p)
	h.closeFD(d)
	expectOnly(t, p, Event{FD: c, Tag: 2, Events: Readable | Writable})
}

// testHalfClose: a peer that shut down its write side makes the fd
// readable (EOF) but must not wake a writer whose buffer is full: it would
// spin on a level-triggered condition it cannot clear.
func testHalfClose(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	h.fill(a)
	mustAdd(t, p, a, Readable|Writable, 1)
	expectNone(t, p)
	h.shutWrite(b)
	expectOnly(t, p, Event{FD: a, Tag: 1, Events: Readable})
}

func testSmallBuffer(t *testing.T, h harness) {
	p := h.poller()
	ready := map[int]bool{}
	for i := range 3 {
		a, b := h.pair()
		mustAdd(t, p, a, Readable, uint32(i))
		h.send(b)
		ready[a] = false
	}
	buf := make([]Event, 2)
	for range 10 {
		evs := waitGuard(t, p, buf, -1)
		if len(evs) > len(buf) {
			t.Fatalf("Wait returned %d events into a buffer of %d", len(evs), len(buf))
		}
		for _, e := range evs {
			ready[e.FD] = true
		}
	}
	for fd, seen := range ready {
		if !seen {
			t.Errorf("ready fd %d never reported in 10 Waits with a small buffer", fd)
		}
	}
}

func testTimeoutZero(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		before := p.Stats()
		expectNone(t, p)
		if s := p.Stats(); s.Sleeps != before.Sleeps {
			t.Fatalf("Wait(0) slept: Sleeps %d -> %d", before.Sleeps, s.Sleeps)
		}
	})
}

func testTimeoutPositive(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		for _, d := range []time.Duration{time.Nanosecond, time.Millisecond, 20 * time.Millisecond} {
			if evs := wait(t, p, d); len(evs) != 0 {
				t.Fatalf("Wait(%v) = %v, want a timeout", d, evs)
			}
		}
	})
}

// testTinyTimeoutStillPolls: a timeout that has passed before Wait could
// block must not hide fds that are ready; Wait looks at least once.
func testTinyTimeoutStillPolls(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Writable, 1)
	for range 20 {
		if evs := wait(t, p, time.Nanosecond); len(evs) != 1 || evs[0].FD != a {
			t.Fatalf("Wait(1ns) = %v, want fd %d writable", evs, a)
		}
	}
}

func testReadyDuringWait(t *testing.T, h harness) {
	p := h.poller()
	a, b := h.pair()
	mustAdd(t, p, a, Readable, 5)
	join := whenAsleep(p, p.Stats().Sleeps+1, func() { h.send(b) })
	expectOnly(t, p, Event{FD: a, Tag: 5, Events: Readable})
	join()
}

// whenAsleep runs f on another goroutine as soon as p has begun its n-th
// sleep: its waiting mode is published, so a Wake now must signal it. The
// returned join waits for that goroutine, or abandons f if the sleep never
// came.
func whenAsleep(p Poller, n uint64, f func()) (join func()) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for p.Stats().Sleeps < n {
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
		f()
	}()
	return func() { close(stop); <-done }
}

func testWakeBeforeWait(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		before := p.Stats()
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if evs := wait(t, p, -1); len(evs) != 0 {
			t.Fatalf("Wait after Wake = %v, want no events", evs)
		}
		s := p.Stats()
		if s.Sleeps != before.Sleeps || s.ChanWakes+s.KernelWakes != before.ChanWakes+before.KernelWakes {
			t.Fatalf("a Wake on an awake loop signalled or slept: %+v -> %+v", before, s)
		}
	})
}

func testWakeFromGoroutineBeforeWait(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		done := make(chan error)
		go func() { done <- p.Wake() }()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wait(t, p, -1)
	})
}

func testWakeDuringWait(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, kernel bool) {
		for i := range 20 {
			before := p.Stats()
			join := whenAsleep(p, before.Sleeps+1, func() { p.Wake() })
			timeout := time.Duration(-1)
			if i%2 == 1 {
				timeout = time.Hour
			}
			evs := wait(t, p, timeout)
			join()
			if len(evs) != 0 {
				t.Fatalf("Wait = %v, want no events", evs)
			}
			s := p.Stats()
			gotChan, gotKernel := s.ChanWakes-before.ChanWakes, s.KernelWakes-before.KernelWakes
			wantChan, wantKernel := uint64(1), uint64(0)
			if kernel && h.real() {
				wantChan, wantKernel = 0, 1
			}
			if gotChan != wantChan || gotKernel != wantKernel {
				t.Fatalf("signals: chan %d kernel %d, want %d and %d", gotChan, gotKernel, wantChan, wantKernel)
			}
		}
	})
}

func testWakeDedupe(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		signals := func() uint64 { s := p.Stats(); return s.ChanWakes + s.KernelWakes }

		// The loop is awake: Wakes only set the flag.
		before := signals()
		for range 1000 {
			p.Wake()
		}
		wait(t, p, -1)
		if got := signals() - before; got != 0 {
			t.Fatalf("1000 Wakes on an awake loop sent %d signals, want 0", got)
		}

		// The loop is asleep: a storm of Wakes from many goroutines sends
		// one signal.
		before = signals()
		sleeps := p.Stats().Sleeps
		var joins []func()
		for range 8 {
			joins = append(joins, whenAsleep(p, sleeps+1, func() {
				for range 200 {
					p.Wake()
				}
			}))
		}
		wait(t, p, -1)
		for _, join := range joins {
			join()
		}
		wait(t, p, 0) // consumes whatever the storm left pending
		if got := signals() - before; got != 1 {
			t.Fatalf("a storm of Wakes on one sleeping Wait sent %d signals, want 1", got)
		}
	})
}

// testWakeIsConsumed: a Wake makes one Wait return, not every later one.
func testWakeIsConsumed(t *testing.T, h harness) {
	modes(t, h, func(t *testing.T, p Poller, _ bool) {
		p.Wake()
		wait(t, p, -1)
		before := p.Stats()
		join := whenAsleep(p, before.Sleeps+1, func() { p.Wake() })
		wait(t, p, -1) // must sleep, not return on the consumed Wake
		join()
		if s := p.Stats(); s.Sleeps == before.Sleeps {
			t.Fatal("Wait returned without sleeping: the earlier Wake was not consumed")
		}
	})
}

func testClose(t *testing.T, h harness) {
	p := h.poller()
	a, _ := h.pair()
	mustAdd(t, p, a, Readable, 1)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, waitErr := p.Wait(make([]Event, 1), 0)
	for what, err := range map[string]error{
		"Add":    p.Add(a, Readable, 1),
		"Modify": p.Modify(a, Readable, 1),
		"Delete": p.Delete(a),
		"Wait":   waitErr,
		"Wake":   p.Wake(),
		"Close":  p.Close(),
	} {
		wantErr(t, what+" after Close", err, ErrClosed)
	}
	p.Stats() // still works
}

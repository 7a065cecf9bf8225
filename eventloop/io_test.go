//go:build linux

package eventloop

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/internal/poller"
	"golang.org/x/sys/unix"
)

func socketpair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

func closeFDs(t *testing.T, fds ...int) {
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
}

func TestReaderAndWriter(t *testing.T) {
	l := newVirtualLoop(t)
	a, b := socketpair(t)
	closeFDs(t, a, b)
	var got []byte
	if err := l.AddReader(a, func() {
		buf := make([]byte, 64)
		n, err := unix.Read(a, buf)
		if err != nil {
			t.Errorf("read: %v", err)
		}
		got = append(got, buf[:n]...)
		if string(got) == "hello" {
			if ok, err := l.RemoveReader(a); !ok || err != nil {
				t.Errorf("RemoveReader = %v, %v", ok, err)
			}
			l.Stop()
		}
	}); err != nil {
		t.Fatal(err)
	}
	writes := 0
	if err := l.AddWriter(b, func() {
		writes++
		unix.Write(b, []byte("hello"))
		l.RemoveWriter(b)
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" || writes != 1 {
		t.Errorf("got %q after %d writes", got, writes)
	}
	if ok, _ := l.RemoveReader(a); ok {
		t.Error("second RemoveReader reported true")
	}
	if l.Stats().FDs != 0 {
		t.Errorf("%d fds still watched", l.Stats().FDs)
	}
}

func TestAddReaderBadFD(t *testing.T) {
	l := newVirtualLoop(t)
	a, b := socketpair(t)
	unix.Close(a)
	unix.Close(b)
	err := l.AddReader(a, func() {})
	if !errors.Is(err, unix.EBADF) {
		t.Errorf("AddReader(closed fd) = %v, want EBADF", err)
	}
	if err := l.AddReader(-1, func() {}); err == nil {
		t.Error("AddReader(-1) accepted")
	}
	if l.Stats().FDs != 0 {
		t.Error("a failed AddReader left a registration")
	}
}

func TestReplacingReaderCancelsTheOldOne(t *testing.T) {
	l := newVirtualLoop(t)
	a, b := socketpair(t)
	closeFDs(t, a, b)
	unix.Write(b, []byte("x"))
	var tr trace
	l.AddReader(a, func() { tr.add("old") })
	l.AddReader(a, func() {
		tr.add("new")
		unix.Read(a, make([]byte, 8))
		l.RemoveReader(a)
		l.Stop()
	})
	l.RunForever()
	if got := tr.get(); len(got) != 1 || got[0] != "new" {
		t.Errorf("trace %v", got)
	}
}

// An fd closed without RemoveReader whose number is reused must never
// deliver the old file's events to the new owner. With a dup() alive the
// kernel keeps reporting the old file under the old number; the loop's
// generation tags drop those events.
func TestReusedFDNumberGetsNoStaleEvents(t *testing.T) {
	l := newVirtualLoop(t)
	a, aPeer := socketpair(t)
	dup, err := unix.Dup(a)
	if err != nil {
		t.Fatal(err)
	}
	closeFDs(t, aPeer, dup)
	oldCalls := 0
	l.AddReader(a, func() { oldCalls++ })
	unix.Close(a) // no RemoveReader: the mistake this test is about
	s, sPeer := socketpair(t)
	closeFDs(t, sPeer)
	if s != a { // the new file takes a's number (the kernel may have given it already)
		if err := unix.Dup3(s, a, unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		unix.Close(s)
	}
	closeFDs(t, a)
	newCalls := 0
	if err := l.AddReader(a, func() {
		newCalls++
		unix.Read(a, make([]byte, 8))
	}); err != nil {
		t.Fatal(err)
	}
	unix.Write(aPeer, []byte("old file data")) // makes the OLD file readable
	for i := 0; i < 5; i++ {
		l.RunOnce(0)
	}
	if newCalls != 0 || oldCalls != 0 {
		t.Fatalf("stale event delivered: new reader ran %d times, old %d", newCalls, oldCalls)
	}
	unix.Write(sPeer, []byte("new")) // now the new file is readable
	for i := 0; i < 5 && newCalls == 0; i++ {
		l.RunOnce(0)
	}
	if newCalls == 0 {
		t.Error("the new owner's event was not delivered")
	}
	l.RemoveReader(a)
}

// A handler that closes another fd and reopens its number in the same
// iteration: the event already collected for the old fd must not reach the
// new owner.
func TestFDClosedAndReusedInSameIteration(t *testing.T) {
	l := newVirtualLoop(t)
	a, aPeer := socketpair(t)
	b, bPeer := socketpair(t)
	closeFDs(t, aPeer, bPeer)
	unix.Write(aPeer, []byte("a"))
	unix.Write(bPeer, []byte("b"))
	var tr trace
	var nPeer int
	first := true
	handler := func(self, other int) func() {
		return func() {
			if !first {
				return
			}
			first = false
			tr.add("first handler")
			unix.Close(other) // close the other fd without RemoveReader
			n, np := socketpair(t)
			nPeer = np
			if n != other {
				unix.Dup3(n, other, unix.O_CLOEXEC)
				unix.Close(n)
			}
			unix.Write(np, []byte("new")) // the new owner is readable too
			l.AddReader(other, func() { tr.add("new owner") })
			unix.Read(self, make([]byte, 8))
			l.RemoveReader(self)
		}
	}
	l.AddReader(a, handler(a, b))
	l.AddReader(b, handler(b, a))
	l.RunOnce(0)
	if got := tr.get(); len(got) != 1 {
		t.Errorf("trace %v: the stale event reached the new owner", got)
	}
	l.RunOnce(0) // the next poll sees the new owner's own data
	if got := tr.get(); len(got) != 2 || got[1] != "new owner" {
		t.Errorf("trace %v: the new owner's event was not delivered", got)
	}
	for _, fd := range []int{a, b} {
		l.RemoveReader(fd)
		unix.Close(fd)
	}
	unix.Close(nPeer)
}

// While callbacks keep coming the loop skips the poller, but not for long:
// a ready socket is serviced within a bounded number of iterations.
func TestCallbackFloodDoesNotStarveIO(t *testing.T) {
	l := newVirtualLoop(t)
	a, b := socketpair(t)
	closeFDs(t, a, b)
	unix.Write(b, []byte("x"))
	chain := 0
	var flood func()
	flood = func() {
		chain++
		if chain > 100_000 {
			l.Stop() // starved: give up
			return
		}
		l.CallSoon(flood)
	}
	seenAt := -1
	l.AddReader(a, func() {
		seenAt = chain
		l.RemoveReader(a)
		l.Stop()
	})
	l.CallSoon(flood)
	l.RunForever()
	if seenAt < 0 || seenAt > 2*pollEvery {
		t.Errorf("reader ran after %d flood callbacks; want within %d", seenAt, 2*pollEvery)
	}
}

func TestSignalHandler(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}()
	got := 0
	if err := l.AddSignalHandler(syscall.SIGUSR1, func() { got++; l.Stop() }); err != nil {
		t.Fatal(err)
	}
	l.CallSoon(func() { syscall.Kill(os.Getpid(), syscall.SIGUSR1) })
	guard, _ := l.CallLater(10*time.Second, func() { t.Error("signal not delivered (hang guard)"); l.Stop() })
	l.RunForever()
	guard.Cancel()
	if got != 1 {
		t.Errorf("handler ran %d times", got)
	}
	if ok, err := l.RemoveSignalHandler(syscall.SIGUSR1); !ok || err != nil {
		t.Errorf("RemoveSignalHandler = %v, %v", ok, err)
	}
	if ok, _ := l.RemoveSignalHandler(syscall.SIGUSR1); ok {
		t.Error("second RemoveSignalHandler = true")
	}
}

func TestUncatchableSignals(t *testing.T) {
	l := newVirtualLoop(t)
	for _, sig := range []os.Signal{syscall.SIGKILL, syscall.SIGSTOP, syscall.Signal(0), syscall.Signal(99)} {
		if err := l.AddSignalHandler(sig, func() {}); !errors.Is(err, ErrBadSignal) {
			t.Errorf("AddSignalHandler(%v) = %v, want ErrBadSignal", sig, err)
		}
	}
	// The error names the signal as C does, not by strsignal's description
	// ("killed"), so that a user can grep for it.
	for sig, want := range map[syscall.Signal]string{syscall.SIGKILL: "AddSignalHandler(SIGKILL)", syscall.SIGSTOP: "AddSignalHandler(SIGSTOP)", 99: "AddSignalHandler(signal 99)"} {
		if err := l.AddSignalHandler(sig, func() {}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddSignalHandler(%d) = %v, want it to contain %q", int(sig), err, want)
		}
	}
	if err := l.AddSignalHandler(syscall.SIGUSR2, nil); !errors.Is(err, ErrNilCallback) {
		t.Errorf("nil handler = %v", err)
	}
}

func TestCloseReportsReadersAndWritersNotSignals(t *testing.T) {
	l, _ := New()
	a, b := socketpair(t)
	closeFDs(t, a, b)
	l.AddReader(a, func() {})
	l.AddWriter(b, func() {})
	l.AddSignalHandler(syscall.SIGUSR2, func() {})
	err := l.Close()
	var alive *AliveError
	if !errors.As(err, &alive) {
		t.Fatalf("Close = %v", err)
	}
	if len(alive.Readers) != 1 || alive.Readers[0] != a || len(alive.Writers) != 1 || alive.Writers[0] != b {
		t.Errorf("alive = %+v", alive)
	}
	if strings.Contains(err.Error(), "signal") {
		t.Errorf("Close reports the signal handler: %v", err)
	}
}

func TestLoopOnFakePoller(t *testing.T) {
	p := poller.NewFake()
	l, err := New(withPoller(p))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ran := 0
	l.AddReader(7, func() { ran++; l.RemoveReader(7); l.Stop() })
	p.SetReady(7, poller.Readable)
	l.RunForever()
	if ran != 1 {
		t.Errorf("reader ran %d times", ran)
	}
}

// A virtual clock jumps only when the loop has nothing else to do: an fd
// that is ready is handled before time moves to the next timer.
func TestVirtualClockDoesNotJumpPastReadyFD(t *testing.T) {
	l := newVirtualLoop(t)
	a, b := socketpair(t)
	closeFDs(t, a, b)
	var readAt time.Duration = -1
	l.CallLater(time.Hour, l.Stop)
	l.CallLater(time.Second, func() { unix.Write(b, []byte("x")) })
	l.AddReader(a, func() {
		readAt = l.Time()
		unix.Read(a, make([]byte, 8))
		l.RemoveReader(a)
	})
	l.RunForever()
	if readAt != time.Second {
		t.Errorf("read at %v, want 1s (the write's time, not the next timer's)", readAt)
	}
}

func TestRunOnceMaxWaitBoundsVirtualJump(t *testing.T) {
	l := newVirtualLoop(t)
	fired := false
	l.CallLater(time.Hour, func() { fired = true })
	l.RunOnce(0)
	if l.Time() != 0 || fired {
		t.Errorf("RunOnce(0) let time pass: %v", l.Time())
	}
	l.RunOnce(time.Minute)
	if l.Time() != time.Minute || fired {
		t.Errorf("RunOnce(1m) moved time to %v", l.Time())
	}
	l.RunOnce(-1)
	if l.Time() != time.Hour || !fired {
		t.Errorf("RunOnce(-1): time %v, fired %v", l.Time(), fired)
	}
}

// withPoller replaces the OS poller (tests use the fake).
func withPoller(p poller.Poller) Option {
	return func(cf *config) { cf.newPoller = func() (poller.Poller, error) { return p, nil } }
}

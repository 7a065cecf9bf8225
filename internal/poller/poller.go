package poller

// The contract.
//
// A Poller watches file descriptors for readiness on behalf of exactly one
// event loop. Add, Modify, Delete, Wait, Registered and Close belong to the
// loop goroutine: they must not run concurrently with each other. Wake and
// Stats may be called from any goroutine at any time, including while the
// loop is inside Wait and while (or after) it closes the Poller.
//
// Registration. Add(fd, ev, tag) starts watching fd for the interests ev
// (Readable, Writable or both; never 0). The fd must be open: a bad fd fails
// with an *OpError wrapping EBADF, and an fd the kernel cannot poll (a regular
// file on Linux) fails with the kernel's error. Adding an fd that is already
// registered fails with ErrRegistered. Registrations are keyed by fd number
// and are the Poller's, not the kernel's: an fd stays registered until
// Delete, even if it was closed meanwhile, so the loop must Delete an fd
// before it adds the same number again. Modify replaces the interests and the
// tag of a registered fd; if the fd was closed since, it fails (EBADF), or,
// when the number names a new file by now, it fails with ENOENT on epoll and
// applies to the new file on kqueue. Delete stops watching; it returns nil
// when the kernel had already dropped the registration because the fd was
// closed (close first, Delete second is allowed), and ErrNotRegistered when
// the fd was never added.
//
// Close before Delete has a trap on Linux: epoll keys its registrations on
// the open file description, so if the fd was dup()ed (or inherited by a
// child process) the registration outlives close(2) and keeps reporting
// events under the old fd number and the old tag. Delete the fd while it is
// still open to avoid it. See poller_epoll.go.
//
// Events. Wait reports readiness as Event values: the fd, the Tag given at
// the latest Add/Modify of that registration, and the ready interests. Error
// and hang-up conditions are reported as every interest registered for the
// fd (as Python's selectors do), so the handler runs and meets the error in
// its read or write; an Event never has Events == 0. A peer that shut down
// only its write side makes the fd Readable, not Writable. Readiness is
// level-triggered: an fd that stays ready is reported by every Wait until the
// loop drains it, Modifies it or Deletes it. An fd appears at most once in
// one Wait's results.
//
// Stale events. The loop must compare Event.Tag with the tag of its current
// registration for Event.FD and drop the event when they differ. Two cases
// produce one: the dup() case above, and an fd that a handler closed and a
// later handler reopened under the same number while the loop was still
// walking the events of one Wait. Using a generation number as the tag makes
// the comparison exact.
//
// Waiting. Wait(buf, timeout) fills buf (len(buf) > 0) and returns how many
// events it stored. timeout < 0 blocks until an event or a Wake; timeout == 0
// never blocks; timeout > 0 blocks at most about that long. A timeout is not
// an error: Wait returns 0, nil. Wait returns early, possibly with n == 0,
// after a Wake. With fds registered it always looks at the kernel at least
// once, however short the timeout and whatever Wakes are pending, so a
// stream of Wakes cannot starve file descriptors. Timeouts are measured on
// the runtime's monotonic clock; a loop on a virtual clock passes 0 or -1.
//
// Waking. Wake makes the current Wait, or the next one if none is running,
// return promptly. Wakes are deduplicated with one atomic flag: any number of
// Wakes between two Waits cost at most one signal (a channel send, a
// deadline change or a kernel write) and none at all while the loop is not
// waiting; a Wake that finds one pending is an atomic load. A Wake is
// never lost: Wait consumes the flag just before it returns, so a Wake that
// happens after that point makes the next Wait return at once. The loop must
// therefore look at its thread-safe inbox after Wait returns, not only
// before calling it.
//
// How Wait blocks is chosen per call: with no fds registered it blocks on a
// Go channel (a Wake round trip measured 0.3-0.5 µs here); with fds
// registered the Linux backend parks the epoll fd in Go's runtime netpoller
// and a Wake expires its read deadline (about 1 µs, no system call); the
// kqueue backend blocks in kevent(2) and a Wake triggers an EVFILT_USER
// event or writes a self-pipe (a thread wake-up; not measured, expect tens
// of microseconds). Stats shows which path each Wake took.
//
// Closing. Close releases the kernel objects. Every later call except Stats
// returns ErrClosed, as does a second Close.

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Events is a set of readiness interests or conditions.
type Events uint8

const (
	// Readable means a read will not block: data, end of file, a pending
	// connection on a listener, or an error.
	Readable Events = 1 << iota
	// Writable means a write will not block, or will fail at once (the
	// peer is gone, a connect failed).
	Writable
)

const allEvents = Readable | Writable

// String returns "R", "W", "RW" or "0", for test failures and logs.
func (e Events) String() string {
	var b strings.Builder
	if e&Readable != 0 {
		b.WriteByte('R')
	}
	if e&Writable != 0 {
		b.WriteByte('W')
	}
	if e&^allEvents != 0 {
		b.WriteString("|0x" + strconv.FormatUint(uint64(e&^allEvents), 16))
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}

// Event is one readiness report.
//
// Tag is the value given at the latest Add or Modify of the registration the
// kernel reported. The loop uses it as a generation number: an Event whose
// Tag differs from the loop's current registration for FD is stale (see the
// package contract) and must be dropped.
type Event struct {
	FD  int
	Tag uint32
	// Events is never 0. Error and hang-up conditions are reported as
	// every interest registered for the fd, as Python's selectors do.
	Events Events
}

// String formats e as {fd 5 tag 1 R}, for test failures and logs.
func (e Event) String() string {
	return "{fd " + strconv.Itoa(e.FD) + " tag " + strconv.FormatUint(uint64(e.Tag), 10) + " " + e.Events.String() + "}"
}

// Poller is the loop's readiness source. The contract at the top of
// poller.go says which goroutine may call what, and how each method behaves.
type Poller interface {
	// Add starts watching fd for ev (not 0) and remembers tag.
	Add(fd int, ev Events, tag uint32) error
	// Modify replaces the interests and the tag of a registered fd.
	Modify(fd int, ev Events, tag uint32) error
	// Delete stops watching fd. It returns nil if the kernel already
	// dropped the registration because fd was closed.
	Delete(fd int) error
	// Wait stores ready events in buf and returns how many. timeout < 0
	// blocks until an event or a Wake, 0 never blocks, > 0 blocks at most
	// that long. It returns early, possibly with 0 events, after a Wake.
	Wait(buf []Event, timeout time.Duration) (int, error)
	// Wake makes the current or the next Wait return promptly. Any
	// goroutine may call it.
	Wake() error
	// Registered returns the number of registered fds.
	Registered() int
	// Stats returns counters. Any goroutine may call it, even after Close.
	Stats() Stats
	// Close releases the Poller. Later calls return ErrClosed.
	Close() error
}

// Stats counts what a Poller did. The counters only grow; compare two
// snapshots to measure an interval.
type Stats struct {
	Waits  uint64 // calls to Wait
	Sleeps uint64 // Waits that blocked (or were about to) instead of only polling
	// ChanWakes counts Wakes that had to signal a Wait blocked on the
	// channel (no fds registered); KernelWakes, Wakes that had to signal a
	// Wait blocked on the kernel poller. Wakes that found a Wake already
	// pending, or the loop awake, count in neither.
	ChanWakes   uint64
	KernelWakes uint64
	// StaleWakeups counts wake-up signals that a Wait received but
	// ignored because the Wake that sent them had already been consumed
	// by an earlier Wait. Each costs one extra trip around Wait's loop,
	// never an early return.
	StaleWakeups uint64
}

var (
	// ErrClosed is returned by every method of a closed Poller.
	ErrClosed = errors.New("poller: closed")
	// ErrRegistered is wrapped by the error of Add for an fd that is
	// already registered.
	ErrRegistered = errors.New("poller: fd already registered")
	// ErrNotRegistered is wrapped by the errors of Modify and Delete for
	// an fd that is not registered.
	ErrNotRegistered = errors.New("poller: fd not registered")

	errBadEvents   = errors.New("poller: events must be Readable, Writable or both")
	errEmptyBuffer = errors.New("poller: empty event buffer")
)

// OpError is the error of a failed operation on one fd, or on the poller
// itself (FD == -1). Err is the cause: one of this package's sentinels or a
// syscall.Errno, so errors.Is(err, unix.EBADF) works.
type OpError struct {
	Op  string // "add", "modify", "delete", "wait", "wake" or "close"
	FD  int
	Err error
}

// Error returns "poller: <op> fd <fd>: <cause>".
func (e *OpError) Error() string {
	s := "poller: " + e.Op
	if e.FD >= 0 {
		s += " fd " + strconv.Itoa(e.FD)
	}
	return s + ": " + strings.TrimPrefix(e.Err.Error(), "poller: ")
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *OpError) Unwrap() error { return e.Err }

// registration is what a Poller remembers about a registered fd.
type registration struct {
	ev  Events
	tag uint32
}

// checkArgs validates the arguments of Add and Modify.
func checkArgs(op string, fd int, ev Events) error {
	if ev == 0 || ev&^allEvents != 0 {
		return &OpError{op, fd, errBadEvents}
	}
	return nil
}

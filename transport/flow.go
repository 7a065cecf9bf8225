package transport

import (
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// FlowControl is the write side's flow control every transport has: a
// write buffer with a high- and a low-water mark. When the buffer grows
// above the high-water mark the protocol's PauseWriting is called (from a
// callback of its own, never inside the Write that crossed the mark); when
// it drains to the low-water mark or below, ResumeWriting. The two always
// alternate, starting with PauseWriting.
type FlowControl interface {
	// SetWriteBufferLimits sets the high- and low-water marks, in bytes:
	// high < 0 means the default (DefaultWriteHighWater), low < 0 means
	// high/4. It fails when low > high, changing nothing. The protocol is
	// paused or resumed to match the new marks from a callback of its own.
	SetWriteBufferLimits(high, low int) error
	// WriteBufferLimits returns the marks now in force.
	WriteBufferLimits() (low, high int)
	// WriteBufferSize returns the bytes buffered and not yet sent.
	WriteBufferSize() int
}

// writeFlow is the one implementation of FlowControl's marks and of the
// pause/resume alternation, embedded in every transport that buffers
// writes (fd sockets and pipes, datagram endpoints, in-memory pairs; TLS
// uses its raw transport's). The transport tells it how big its buffer is;
// writeFlow decides when the protocol hears of it.
type writeFlow struct {
	high, low int
	paused    bool // PauseWriting was delivered, ResumeWriting not yet
	queued    bool // a check is scheduled on the loop
}

// writePauser is the part of a protocol flow control talks to.
type writePauser interface {
	PauseWriting()
	ResumeWriting()
}

func newWriteFlow() writeFlow {
	return writeFlow{high: DefaultWriteHighWater, low: DefaultWriteLowWater}
}

// grew is called after the buffer grew to size: above the high-water mark
// it schedules check (the transport's callback that calls sync), once.
func (f *writeFlow) grew(l *eventloop.Loop, size int, check func()) {
	if !f.paused && !f.queued && size > f.high {
		f.queued = true
		l.CallSoon(check)
	}
}

// sync brings p's paused state in line with a buffer of size bytes; the
// scheduled check calls it, and so may the transport after it sent bytes.
func (f *writeFlow) sync(size int, p writePauser) {
	f.queued = false
	switch {
	case !f.paused && size > f.high:
		f.paused = true
		p.PauseWriting()
	case f.paused && size <= f.low:
		f.paused = false
		p.ResumeWriting()
	}
}

// setLimits validates and sets the marks, then schedules check (unless the
// transport is gone or a check is already queued) so the protocol hears
// of the change from a callback of its own.
func (f *writeFlow) setLimits(l *eventloop.Loop, high, low int, gone bool, check func()) error {
	if high < 0 {
		high = DefaultWriteHighWater
	}
	if low < 0 {
		low = high / 4
	}
	if low > high {
		return fmt.Errorf("transport: SetWriteBufferLimits: low-water mark %d is above high-water mark %d", low, high)
	}
	f.high, f.low = high, low
	if !gone && !f.queued {
		f.queued = true
		l.CallSoon(check)
	}
	return nil
}

func (f *writeFlow) limits() (low, high int) { return f.low, f.high }

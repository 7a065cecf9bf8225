package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// ErrSendfileNotAvailable is returned by Sendfile with fallback false when
// the transport cannot take sendfile(2) (TLS, in-memory, GoNetwork, a
// simulated network, a system without the call): asyncio's
// SendfileNotAvailableError.
var ErrSendfileNotAvailable = errors.New("transport: sendfile is not available for this transport")

// ErrSendfileBusy is returned by Sendfile when another Sendfile on the
// same transport has not returned yet.
var ErrSendfileBusy = errors.New("transport: another Sendfile is running on this transport")

// sendfileHook, set by tests, learns which path each Sendfile took.
var sendfileHook func(native bool)

// sendfileChunk is what the fallback reads and writes at a time: the
// transport's buffer holds at most its high-water mark plus one chunk.
const sendfileChunk = 256 << 10

// Sendfile sends count bytes of f, from offset, over the stream transport
// t and returns the bytes sent (asyncio's loop.sendfile). count 0 sends to
// the end of the file. f's own offset is neither used nor moved. It must
// be called from a task of t's loop, with its ctx.
//
// On Linux, over a plain TCP or Unix socket transport, the kernel copies
// the file to the socket with sendfile(2): the bytes never pass through
// user space and nothing is buffered beyond the kernel's socket buffer.
// Bytes already in t's write buffer are sent first. Over any other
// transport (TLS, an in-memory pair, GoNetwork, looptest's simulated
// network), or on another system, fallback true reads the file in 256 KiB
// chunks on the loop's executor (never on the loop goroutine) and writes
// them to t, waiting whenever t's write buffer is above its high-water
// mark, so a 1 GiB file never sits in memory; fallback false returns
// ErrSendfileNotAvailable there, having sent nothing.
//
// While Sendfile runs, other tasks must not write to t: on the sendfile(2)
// path a write made while the earlier bytes drain goes before the file,
// and one made once the file is going out is held until it is sent; on
// the fallback path writes would interleave with the file's chunks. A
// Close made meanwhile takes effect once the file is sent; an Abort, or the
// connection's loss, ends Sendfile with the transport's error. During the
// fallback the transport's protocol sees no PauseWriting or ResumeWriting
// (Sendfile takes them), and is told on return if its paused state changed.
//
// Cancellation: Sendfile returns the bytes sent so far with ErrCancelled
// (or ErrTimeout). Those bytes are in the kernel or in t's write buffer and
// will reach the peer; the rest of the file was not sent, so a caller that
// resumes does so at offset+sent. The transport stays usable.
func Sendfile(ctx context.Context, t Transport, f *os.File, offset, count int64, fallback bool) (int64, error) {
	if t == nil || f == nil || offset < 0 || count < 0 {
		return 0, fmt.Errorf("transport: Sendfile: nil transport or file, or a negative offset or count: %w", os.ErrInvalid)
	}
	if _, err := eventloop.ParkerFor(ctx, t.Loop()); err != nil {
		return 0, errs.Op("transport", "Sendfile", err)
	}
	if count == 0 {
		fi, err := f.Stat()
		if err != nil {
			return 0, errs.Op("transport", "Sendfile", err)
		}
		if count = fi.Size() - offset; count <= 0 {
			return 0, nil
		}
	}
	sent, ok, err := nativeSendfile(ctx, t, f, offset, count)
	if sendfileHook != nil {
		sendfileHook(ok)
	}
	if ok {
		return sent, sendfileErr(err)
	}
	if !fallback {
		return 0, errs.Op("transport", "Sendfile", ErrSendfileNotAvailable)
	}
	sent, err = SendfileFallback(ctx, t, f, offset, count)
	return sent, sendfileErr(err)
}

func sendfileErr(err error) error {
	if err == nil || errors.Is(err, eventloop.ErrCancelled) || errors.Is(err, eventloop.ErrTimeout) {
		return err
	}
	return errs.Op("transport", "Sendfile", err)
}

// SendfileFallback is Sendfile's read/write path, for any transport: f is
// read in 256 KiB chunks on the loop's executor and written to t, with
// t's flow control respected (see Sendfile). count must be positive.
//
// Cancellation: as Sendfile.
func SendfileFallback(ctx context.Context, t Transport, f *os.File, offset, count int64) (int64, error) {
	l := t.Loop()
	pk, err := eventloop.ParkerFor(ctx, l)
	if err != nil {
		return 0, err
	}
	if t.IsClosing() {
		return 0, ErrTransportClosed
	}
	orig := t.Protocol()
	switch orig.(type) {
	case sendfilePlain, sendfileBuffered:
		return 0, ErrSendfileBusy
	}
	_, high0 := t.WriteBufferLimits()
	fp := &sendfileFlow{orig: orig, paused: t.WriteBufferSize() > high0}
	startPaused := fp.paused
	switch p := orig.(type) {
	case BufferedProtocol:
		t.SetProtocol(sendfileBuffered{p, fp})
	case Protocol:
		t.SetProtocol(sendfilePlain{p, fp})
	default:
		return 0, ErrNotStreamProtocol
	}
	defer func() {
		if t.Protocol() != nil && !fp.lost {
			t.SetProtocol(orig)
		}
		fp.wake = nil
		switch {
		case fp.lost:
		case fp.paused && !startPaused:
			orig.PauseWriting()
		case !fp.paused && startPaused:
			orig.ResumeWriting()
		}
	}()
	var sent int64
	for sent < count {
		_, high := t.WriteBufferLimits()
		// Above the high-water mark, the transport's PauseWriting may
		// still be on its way through the ready queue: let it come.
		for !fp.paused && !fp.lost && t.WriteBufferSize() > high {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				return sent, err
			}
		}
		for fp.paused && !fp.lost {
			fp.wake = pk.Unpark // only while parked here: not inside the read's Await
			err := pk.Park(ctx)
			fp.wake = nil
			if err != nil {
				return sent, err
			}
		}
		if fp.lost || t.IsClosing() {
			return sent, ErrTransportClosed
		}
		buf := make([]byte, min(count-sent, sendfileChunk))
		off := offset + sent
		n, rerr := eventloop.Await(ctx, eventloop.RunInExecutor(l, func() (int, error) {
			n, err := f.ReadAt(buf, off)
			if err == io.EOF {
				err = nil
			}
			return n, err
		}))
		if errors.Is(rerr, eventloop.ErrCancelled) || errors.Is(rerr, eventloop.ErrTimeout) {
			return sent, rerr // the chunk read meanwhile is dropped: not sent
		}
		if n > 0 {
			if err := t.Write(buf[:n]); err != nil {
				return sent, err
			}
			sent += int64(n)
		}
		if rerr != nil {
			return sent, rerr
		}
		if n == 0 {
			return sent, nil // the file ended early
		}
	}
	return sent, nil
}

// sendfileFlow takes the transport's flow-control callbacks while the
// fallback runs, and hands on everything else to the protocol.
type sendfileFlow struct {
	orig   StreamProtocol
	paused bool
	lost   bool
	wake   func()
}

func (s *sendfileFlow) PauseWriting() { s.paused = true }
func (s *sendfileFlow) ResumeWriting() {
	s.paused = false
	if s.wake != nil {
		s.wake()
	}
}
func (s *sendfileFlow) ConnectionLost(err error) {
	s.lost = true
	if s.wake != nil {
		s.wake()
	}
	s.orig.ConnectionLost(err)
}

type sendfilePlain struct {
	Protocol
	f *sendfileFlow
}

func (p sendfilePlain) PauseWriting()            { p.f.PauseWriting() }
func (p sendfilePlain) ResumeWriting()           { p.f.ResumeWriting() }
func (p sendfilePlain) ConnectionLost(err error) { p.f.ConnectionLost(err) }

type sendfileBuffered struct {
	BufferedProtocol
	f *sendfileFlow
}

func (p sendfileBuffered) PauseWriting()            { p.f.PauseWriting() }
func (p sendfileBuffered) ResumeWriting()           { p.f.ResumeWriting() }
func (p sendfileBuffered) ConnectionLost(err error) { p.f.ConnectionLost(err) }

package streams

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// DefaultLimit is the default limit of a StreamReader: the longest line
// ReadLine and ReadUntil accept, and half the buffer size at which the
// transport's reading is paused (asyncio's _DEFAULT_LIMIT, 64 KiB).
const DefaultLimit = 64 * 1024

// StreamReader is the reading end of a stream (asyncio.StreamReader): the
// protocol feeds it what the transport receives, and a task reads it with
// awaits. One read at a time: a read that starts while another one waits
// fails with ErrConcurrentRead.
//
// Flow control follows asyncio: when more than twice the limit is
// buffered, the transport stops reading; it resumes once the buffer is
// back at the limit or below (or when a read needs more bytes).
//
// A StreamReader belongs to one loop; its methods are for that loop's
// goroutine and tasks only. Make one with NewStreamReader (for FeedData by
// hand) or get one from OpenConnection, StartServer or Pipe.
type StreamReader struct {
	loop      *eventloop.Loop
	limit     int
	buf       []byte // buf[off:] is unread
	off       int
	eof       bool
	err       error // set by SetError: reads fail with it once buf is empty
	transport transport.ReadTransport
	paused    bool // we paused the transport's reading

	waiter  eventloop.Parker
	waiting bool
	// A ReadInto parked on an empty buffer: FeedData copies straight into
	// its buffer (into[:direct]) instead of through buf, one copy instead
	// of two. direct > 0 means the read is satisfied.
	into   []byte
	direct int

	maxBuffered int
}

// NewStreamReader returns a reader for loop l with the given limit (<= 0:
// DefaultLimit).
func NewStreamReader(l *eventloop.Loop, limit int) *StreamReader {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &StreamReader{loop: l, limit: limit}
}

// Limit returns the reader's limit.
func (r *StreamReader) Limit() int { return r.limit }

// ReaderStats is a snapshot of a reader.
type ReaderStats struct {
	Buffered    int  // bytes waiting to be read
	MaxBuffered int  // the most bytes ever buffered at once
	Paused      bool // the reader has paused its transport's reading
	EOF         bool // EOF was fed
}

// Stats returns a snapshot of the reader.
func (r *StreamReader) Stats() ReaderStats {
	return ReaderStats{Buffered: r.Buffered(), MaxBuffered: r.maxBuffered, Paused: r.paused, EOF: r.eof}
}

// Buffered returns how many bytes can be read without waiting.
func (r *StreamReader) Buffered() int { return len(r.buf) - r.off }

// AtEOF reports whether EOF was fed and the buffer is empty.
func (r *StreamReader) AtEOF() bool { return r.eof && r.Buffered() == 0 }

// Err returns the error given to SetError, or nil.
func (r *StreamReader) Err() error { return r.err }

// SetTransport tells the reader which transport to pause and resume for
// flow control. The stream protocol calls it; a reader fed by hand needs
// none.
func (r *StreamReader) SetTransport(t transport.ReadTransport) { r.transport = t }

// FeedData appends data to the buffer (copied) and wakes a waiting read.
// Feeding after FeedEOF is ignored.
func (r *StreamReader) FeedData(data []byte) {
	if len(data) == 0 || r.eof {
		return
	}
	if r.into != nil && r.direct == 0 {
		// The buffer is empty (ReadInto parks only then): hand the bytes
		// over, and buffer what does not fit.
		r.direct = copy(r.into, data)
		data = data[r.direct:]
		r.wake()
		if len(data) == 0 {
			return
		}
	}
	if r.off == len(r.buf) {
		r.buf, r.off = r.buf[:0], 0
	} else if r.off > 4096 && r.off >= len(r.buf)/2 {
		n := copy(r.buf, r.buf[r.off:])
		r.buf, r.off = r.buf[:n], 0
	}
	r.buf = append(r.buf, data...)
	if n := r.Buffered(); n > r.maxBuffered {
		r.maxBuffered = n
	}
	r.wake()
	if r.transport != nil && !r.paused && r.Buffered() > 2*r.limit {
		r.paused = true
		r.transport.PauseReading()
	}
}

// handedOff records that the transport read n bytes straight into the
// waiting ReadInto's buffer (Protocol.GetBuffer) and wakes it.
func (r *StreamReader) handedOff(n int) {
	if n > 0 {
		r.direct = n
		r.wake()
	}
}

// FeedEOF marks the end of the stream and wakes a waiting read.
func (r *StreamReader) FeedEOF() {
	r.eof = true
	r.wake()
}

// SetError makes reads fail with err once the buffered bytes are read
// (a connection lost with an error); it also marks EOF.
func (r *StreamReader) SetError(err error) {
	if err == nil {
		return
	}
	r.err = err
	r.eof = true
	r.wake()
}

func (r *StreamReader) wake() {
	if r.waiting {
		r.waiter.Unpark()
	}
}

// take removes and returns the first n buffered bytes (a copy).
func (r *StreamReader) take(n int) []byte {
	out := make([]byte, n)
	copy(out, r.buf[r.off:])
	r.consume(n)
	return out
}

func (r *StreamReader) consume(n int) {
	r.off += n
	if r.off == len(r.buf) {
		r.buf, r.off = r.buf[:0], 0
		if cap(r.buf) > 4*r.limit {
			r.buf = nil // let a buffer grown by a long read go
		}
	}
	if r.paused && r.Buffered() <= r.limit {
		r.paused = false
		r.transport.ResumeReading()
	}
}

// begin checks that ctx may await on this reader now.
func (r *StreamReader) begin(ctx context.Context, op string) error {
	p, err := eventloop.ParkerFor(ctx, r.loop)
	if err != nil {
		return fmt.Errorf("streams: %s: %w", op, err)
	}
	if r.waiting {
		return fmt.Errorf("streams: %s: %w", op, ErrConcurrentRead)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	r.waiter = p
	return nil
}

// waitForData parks until the buffer changes or EOF or an error is fed.
// The buffer is never touched here, so a cancelled wait loses nothing.
func (r *StreamReader) waitForData(ctx context.Context) error {
	if r.paused {
		// The caller needs more than what is buffered: read on, whatever
		// the buffer size (ReadExactly of more than twice the limit).
		r.paused = false
		r.transport.ResumeReading()
	}
	r.waiting = true
	err := r.waiter.Park(ctx)
	r.waiting = false
	return err
}

// Read returns up to n bytes: at once if some are buffered, else once some
// arrive. n < 0 reads until EOF and returns everything (with the error of
// SetError, if any, after the data). At EOF with nothing buffered it
// returns io.EOF (asyncio returns b”); after SetError, that error. n == 0
// returns nothing at once.
//
// Cancellation: if ctx is cancelled while Read waits, it returns
// eventloop.ErrCancelled (or ErrTimeout) and the buffer is untouched: no
// byte is lost. For n < 0, everything received so far stays buffered.
func (r *StreamReader) Read(ctx context.Context, n int) ([]byte, error) {
	if err := r.begin(ctx, "Read"); err != nil {
		return nil, err
	}
	if n < 0 {
		for !r.eof {
			if err := r.waitForData(ctx); err != nil {
				return nil, err
			}
		}
		return r.take(r.Buffered()), r.err
	}
	if n == 0 {
		return nil, nil
	}
	for r.Buffered() == 0 {
		if r.eof {
			return nil, r.eofError()
		}
		if err := r.waitForData(ctx); err != nil {
			return nil, err
		}
	}
	return r.take(min(n, r.Buffered())), nil
}

// ReadInto is Read into a buffer of the caller's: it copies up to len(p)
// bytes into p and returns how many, waiting only while nothing is
// buffered. It allocates nothing, so a loop that reuses p (an echo server,
// a proxy) reads without garbage; Read hands out a new slice each time.
// At EOF with nothing buffered it returns 0 and io.EOF; after SetError,
// that error. len(p) == 0 returns 0, nil at once. Bytes that arrive while
// ReadInto waits are copied straight into p, not through the reader's
// buffer.
//
// Cancellation: if ctx is cancelled while ReadInto waits, it returns 0 and
// eventloop.ErrCancelled (or ErrTimeout); the buffer is untouched and no
// byte is lost. Bytes handed into p before ReadInto resumes are returned
// with a nil error even if ctx was cancelled meanwhile.
func (r *StreamReader) ReadInto(ctx context.Context, p []byte) (int, error) {
	return r.readInto(ctx, p, "ReadInto")
}

// readInto is ReadInto; op names the caller in errors (the net.Conn view
// says Read).
func (r *StreamReader) readInto(ctx context.Context, p []byte, op string) (int, error) {
	if err := r.begin(ctx, op); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for r.Buffered() == 0 {
		if r.eof {
			return 0, r.eofError()
		}
		r.into, r.direct = p, 0
		err := r.waitForData(ctx)
		n := r.direct
		r.into, r.direct = nil, 0
		if n > 0 {
			// The bytes are in p: the read succeeded, whatever happened
			// to ctx meanwhile (returning an error would lose them).
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off:])
	r.consume(n)
	return n, nil
}

func (r *StreamReader) eofError() error {
	if r.err != nil {
		return r.err
	}
	return io.EOF
}

// ReadExactly returns exactly n bytes, waiting as needed. If EOF comes
// first it returns an *IncompleteReadError with the bytes read (taken out
// of the buffer) and Expected n; after SetError, that error, with the
// bytes left buffered.
//
// Cancellation: on cancellation the buffer is untouched: no byte is lost.
func (r *StreamReader) ReadExactly(ctx context.Context, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("streams: ReadExactly: negative size %d", n)
	}
	if err := r.begin(ctx, "ReadExactly"); err != nil {
		return nil, err
	}
	for r.Buffered() < n {
		if r.err != nil {
			return nil, r.err
		}
		if r.eof {
			return nil, &IncompleteReadError{Partial: r.take(r.Buffered()), Expected: n}
		}
		if err := r.waitForData(ctx); err != nil {
			return nil, err
		}
	}
	return r.take(n), nil
}

// ReadUntil returns the bytes up to and including the first occurrence of
// a separator. With several separators (Python 3.13's readuntil with a
// tuple) the match that ends first in the stream wins, the shorter one
// when two end at the same byte. It fails with a *LimitOverrunError
// (matching ErrLimitOverrun) when no separator is within the reader's
// limit: found beyond it, or not found in more than limit bytes; the data
// stays buffered. At EOF without a separator it returns an
// *IncompleteReadError with what was buffered (taken out of the buffer)
// and Expected -1. After SetError, that error, with the bytes left
// buffered.
//
// Cancellation: on cancellation the buffer is untouched: no byte is lost.
func (r *StreamReader) ReadUntil(ctx context.Context, seps ...[]byte) ([]byte, error) {
	if len(seps) == 0 {
		return nil, errors.New("streams: ReadUntil: no separator")
	}
	maxLen := 0
	for _, sep := range seps {
		if len(sep) == 0 {
			return nil, errors.New("streams: ReadUntil: empty separator")
		}
		maxLen = max(maxLen, len(sep))
	}
	if err := r.begin(ctx, "ReadUntil"); err != nil {
		return nil, err
	}
	// offset: where to look next; bytes before it cannot start a separator.
	offset := 0
	for {
		data := r.buf[r.off:]
		if end, start := matchEnd(data, offset, seps); end >= 0 {
			if start > r.limit {
				return nil, &LimitOverrunError{Consumed: start, Found: true}
			}
			return r.take(end), nil
		}
		if len(data)+1-maxLen > offset {
			offset = len(data) + 1 - maxLen
			if offset > r.limit {
				return nil, &LimitOverrunError{Consumed: offset}
			}
		}
		if r.err != nil {
			return nil, r.err
		}
		if r.eof {
			return nil, &IncompleteReadError{Partial: r.take(len(data)), Expected: -1}
		}
		if err := r.waitForData(ctx); err != nil {
			return nil, err
		}
	}
}

// matchEnd finds the separator match in data[offset:] that ends first
// (the shorter separator on a tie) and returns where it ends and starts,
// or -1, -1.
func matchEnd(data []byte, offset int, seps [][]byte) (end, start int) {
	end, start = -1, -1
	for _, sep := range seps {
		if len(data)-offset < len(sep) {
			continue
		}
		i := bytes.Index(data[offset:], sep)
		if i < 0 {
			continue
		}
		i += offset
		if e := i + len(sep); end < 0 || e < end || (e == end && i > start) {
			end, start = e, i
		}
	}
	return end, start
}

// ReadLine returns one line, with its "\n". At EOF it returns the last,
// unterminated line without error, then (nil, io.EOF). A line longer than
// the limit fails with a *LimitOverrunError and stays buffered (asyncio's
// readline drops it and raises ValueError; read it in pieces with Read,
// or drop it with ReadExactly(Consumed)).
//
// Cancellation: on cancellation the buffer is untouched: no byte is lost.
func (r *StreamReader) ReadLine(ctx context.Context) ([]byte, error) {
	line, err := r.ReadUntil(ctx, newline)
	var inc *IncompleteReadError
	if errors.As(err, &inc) {
		if len(inc.Partial) == 0 {
			return nil, io.EOF
		}
		return inc.Partial, nil
	}
	return line, err
}

var newline = []byte{'\n'}

// Lines iterates over the stream's lines as ReadLine returns them, each
// with its "\n" (the last one may lack it), until EOF: asyncio's
// "async for line in reader". A failed read is yielded once, with a nil
// line, and ends the iteration; so does breaking out of the loop. The line
// is the iteration's to keep.
//
// Cancellation: as ReadLine: a cancelled read yields the cancellation
// error and leaves the unread bytes buffered.
func (r *StreamReader) Lines(ctx context.Context) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			line, err := r.ReadLine(ctx)
			if err == io.EOF {
				return
			}
			if !yield(line, err) || err != nil {
				return
			}
		}
	}
}

func (r *StreamReader) String() string {
	s := fmt.Sprintf("StreamReader(%d bytes", r.Buffered())
	if r.eof {
		s += ", eof"
	}
	if r.err != nil {
		s += fmt.Sprintf(", error %v", r.err)
	}
	if r.paused {
		s += ", paused"
	}
	return s + ")"
}

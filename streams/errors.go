package streams

import (
	"errors"
	"fmt"
	"io"
)

// Errors of the package. Misuse the loop detects (an await outside a task,
// on another loop, after the loop closed) comes back wrapping
// eventloop.ErrNotInTask, eventloop.ErrWrongLoop or eventloop.ErrClosed;
// cancellation as eventloop.ErrCancelled or eventloop.ErrTimeout.
var (
	// ErrLimitOverrun is matched by a *LimitOverrunError: a ReadUntil or
	// ReadLine found no separator within the reader's limit
	// (asyncio.LimitOverrunError).
	ErrLimitOverrun = errors.New("streams: separator not found within the limit")
	// ErrConcurrentRead is returned when a read starts while another read
	// of the same reader is waiting (asyncio's RuntimeError).
	ErrConcurrentRead = errors.New("streams: another task is already waiting to read from this stream")
	// ErrClosed is returned by writes and Drain after the writer's Close
	// (you closed it).
	ErrClosed = errors.New("streams: stream is closed")
	// ErrConnectionLost is matched by a *BrokenError: the connection ended
	// under the writer (the peer or the OS closed it).
	ErrConnectionLost = errors.New("streams: connection lost")
	// ErrBlocksLoop is returned by a call of the net.Conn view, the
	// Listener view or Dialer that would have to wait for the loop while
	// running on it: from a task (not the view's owner) or a callback of
	// a loop, usually a blocking library (http.Client.Do, a database
	// call) called directly in a task. Run such calls in task.ToThread.
	// ErrNilStream is matched by the errors of NewConn's view of a nil
	// reader or writer.
	ErrNilStream = errors.New("streams: nil stream")
	// ErrNilTLSConfig is returned by OpenConnection, StartServer, Listen,
	// Pipe and NewProtocol's streams when WithTLS was given a nil config:
	// the caller asked for TLS, so the stream never falls back to
	// plaintext.
	ErrNilTLSConfig = errors.New("streams: WithTLS: nil *tls.Config")
	ErrBlocksLoop   = errors.New("streams: blocking call from a task or callback of a loop (it would wait for the loop it blocks; run it in task.ToThread)")
)

// LimitOverrunError is the error of a ReadUntil or ReadLine that reached
// the reader's limit without finding the separator, or found it beyond
// the limit. The data stays in the reader's buffer; Consumed says how many
// bytes of it were searched (read them with Read or ReadExactly to move
// on). It matches ErrLimitOverrun.
type LimitOverrunError struct {
	Consumed int
	Found    bool // the separator is in the buffer, beyond the limit
}

func (e *LimitOverrunError) Error() string {
	if e.Found {
		return fmt.Sprintf("streams: separator is found, but the chunk is longer than the limit (%d bytes)", e.Consumed)
	}
	return fmt.Sprintf("streams: separator is not found, and the chunk exceeds the limit (%d bytes)", e.Consumed)
}

// Is reports whether target is ErrLimitOverrun.
func (e *LimitOverrunError) Is(target error) bool { return target == ErrLimitOverrun }

// IncompleteReadError is the error of a ReadExactly or ReadUntil that met
// EOF first: Partial holds the bytes read before EOF (they are no longer
// in the buffer), Expected the number wanted (-1 for ReadUntil). It wraps
// io.ErrUnexpectedEOF (asyncio.IncompleteReadError).
type IncompleteReadError struct {
	Partial  []byte
	Expected int
}

func (e *IncompleteReadError) Error() string {
	if e.Expected < 0 {
		return fmt.Sprintf("streams: %d bytes read on a total of undefined expected bytes", len(e.Partial))
	}
	return fmt.Sprintf("streams: %d bytes read on a total of %d expected bytes", len(e.Partial), e.Expected)
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *IncompleteReadError) Unwrap() error { return io.ErrUnexpectedEOF }

// BrokenError is the error of a write-side operation (Drain, WaitClosed,
// Write) after the connection was lost: Err is the cause the transport
// reported (nil for a clean close by the peer). It matches
// ErrConnectionLost and unwraps to Err, so errors.Is(err,
// syscall.ECONNRESET) works as with a socket.
type BrokenError struct {
	Op  string
	Err error
}

func (e *BrokenError) Error() string {
	if e.Err == nil {
		return "streams: " + e.Op + ": connection lost"
	}
	return "streams: " + e.Op + ": connection lost: " + e.Err.Error()
}

// Is reports whether target is ErrConnectionLost.
func (e *BrokenError) Is(target error) bool { return target == ErrConnectionLost }

// Unwrap returns the cause.
func (e *BrokenError) Unwrap() error { return e.Err }

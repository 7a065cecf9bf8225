package streams

import (
	"context"
	"os"

	"github.com/aio-go/aio/transport"
)

// Sendfile sends count bytes of f, from offset, on the stream and returns
// the bytes sent (count 0: to the end of the file). It is
// transport.Sendfile with fallback true: sendfile(2) over a plain TCP or
// Unix socket on Linux, so the file never passes through user space, and
// 256 KiB reads on the loop's executor written to the stream otherwise
// (TLS, an in-memory pair, GoNetwork, looptest's network), waiting as
// Drain does whenever the write buffer is above its high-water mark, so a
// large file is never held in memory. f's own offset is neither used nor
// moved. What was written to the stream before goes first; the caller
// writes nothing else to the stream until Sendfile returns. Loop
// goroutine, from a task, with its ctx.
//
// Cancellation: returns the bytes sent so far with ErrCancelled (or
// ErrTimeout); they were handed to the kernel or to the transport's buffer
// and will reach the peer, the rest of the file was not sent. Resume at
// offset+sent; the stream stays usable.
func (w *StreamWriter) Sendfile(ctx context.Context, f *os.File, offset, count int64) (int64, error) {
	if err := w.writeErr("Sendfile"); err != nil {
		return 0, err
	}
	return transport.Sendfile(ctx, w.t, f, offset, count, true)
}

//go:build unix

package transport

import (
	"context"
	"os"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

// nativeSendfile sends the file over t with sendfile(2) when t is a plain
// socket transport of this system and the system has the call; ok false
// means the caller must fall back (nothing was sent then).
func nativeSendfile(ctx context.Context, tr Transport, f *os.File, offset, count int64) (sent int64, ok bool, err error) {
	t, isFD := tr.(*fdTransport)
	if !haveSendfile || !isFD || t.kind != kindSocket {
		return 0, false, nil
	}
	if err := t.writeCheck(); err != nil {
		return 0, true, err
	}
	if t.sendfiling {
		return 0, true, ErrSendfileBusy
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var ffd int
	rc.Control(func(d uintptr) { ffd = int(d) })
	pk, err := eventloop.ParkerFor(ctx, t.loop)
	if err != nil {
		return 0, true, err
	}
	t.sendfiling = true
	defer t.endSendfile()
	// First what was written before: the file goes after it.
	for t.woff < len(t.wbuf) && !t.lost {
		t.sfWake = pk.Unpark
		err := pk.Park(ctx)
		t.sfWake = nil
		if err != nil {
			return 0, true, err
		}
	}
	for sent < count {
		if t.lost {
			return sent, true, lostErr(t)
		}
		off := offset + sent
		n, err := unix.Sendfile(t.fd, ffd, &off, int(min(count-sent, 1<<30)))
		switch {
		case (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EOPNOTSUPP) && sent == 0:
			return 0, false, nil // not for this pair of files: fall back
		case err == nil && n == 0:
			return sent, true, nil // the file ended early
		case err == nil:
			sent += int64(n)
		case isAgain(err) || err == unix.EINTR:
			sent += int64(max(n, 0))
			if err := t.claim.AddWriter(pk.Unpark); err != nil {
				return sent, true, err
			}
			t.sfWake = pk.Unpark
			perr := pk.Park(ctx)
			t.sfWake = nil
			if !t.lost {
				t.claim.RemoveWriter()
			}
			if perr != nil {
				return sent, true, perr
			}
		default:
			t.fatal("sendfile", err)
			return sent, true, t.broken
		}
	}
	return sent, true, nil
}

func lostErr(t *fdTransport) error {
	if t.broken != nil {
		return t.broken
	}
	return ErrTransportClosed
}

// endSendfile lets the writes buffered behind the file go, and finishes a
// Close or WriteEOF made while the file was sent.
func (t *fdTransport) endSendfile() {
	t.sendfiling = false
	if t.lost {
		return
	}
	if t.woff < len(t.wbuf) {
		t.startWriting()
		return
	}
	switch {
	case t.closing:
		t.lost = true
		t.loop.CallSoon(func() { t.finish(nil) })
	case t.eof:
		t.shutdownWrite()
	}
}

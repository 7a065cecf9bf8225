package transport

import (
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// cancelBlocked ends a read or write a goroutine of a file transport is
// blocked in, before the file is closed. A Windows file's Close cancels
// the I/O in progress once (CancelIoEx), and then waits for every read
// and write on it to end; a read or write that starts just after that
// cancel is never cancelled, and the Close waits forever. So, while the
// reader or the writer is inside a read or write (they start no new one
// once the transport is closing), cancel again every millisecond, for at
// most a second, before closing. The handle cannot be closed under it:
// Control holds a reference, and only the transport closes the file.
// A connection needs none of it.
func (t *connTransport) cancelBlocked() {
	if t.dir == connBoth {
		return // a connection: Go's net package cancels on Close
	}
	sc, ok := t.conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	for i := 0; i < 1000 && t.busy(); i++ {
		rc.Control(func(h uintptr) { windows.CancelIoEx(windows.Handle(h), nil) })
		time.Sleep(time.Millisecond)
	}
}

// busy reports whether the reader or the writer is inside a read or a
// write of conn.
func (t *connTransport) busy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inRead || t.inWrite
}

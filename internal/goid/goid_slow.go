//go:build !amd64 && !arm64

package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// ID returns an identifier of the calling goroutine, unique among the
// goroutines alive now: its number, parsed from runtime.Stack (about a
// microsecond on the platforms without the one-instruction read).
func ID() uintptr {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return uintptr(id)
}

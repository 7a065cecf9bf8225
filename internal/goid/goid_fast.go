//go:build amd64 || arm64

package goid

// getg returns the address of the calling goroutine's runtime record.
func getg() uintptr

// ID returns an identifier of the calling goroutine, unique among the
// goroutines alive now. About a nanosecond.
func ID() uintptr { return getg() }

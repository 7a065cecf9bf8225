//go:build !windows

package transport

// cancelBlocked: closing a file elsewhere ends the read or write in
// progress (the runtime's poller wakes it), so there is nothing to do
// first (conncancel_windows.go says why Windows differs).
func (t *connTransport) cancelBlocked() {}

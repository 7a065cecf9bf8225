//go:build unix

package streams_test

import "syscall"

// wsaConnReset is Windows' connection-reset error; on Unix ECONNRESET
// already says it.
var wsaConnReset error = syscall.ECONNRESET

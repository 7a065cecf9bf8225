package streams_test

import "syscall"

// wsaConnReset is WSAECONNRESET, the error Winsock reports for a
// connection the peer reset (syscall.ECONNRESET is another number there).
var wsaConnReset error = syscall.Errno(10054)

// Package streams is asyncio's high-level networking API in Go form: a
// StreamReader and a StreamWriter over a transport, OpenConnection and
// StartServer to get them, StartTLS to upgrade them, and a net.Conn view
// (NewConn) that hands a loop stream to any Go library, usable from its
// task (an await) and from any goroutine (through the loop), with a
// net.Listener view (Listen) and a Dialer for net/http, gRPC and database
// drivers (docs/go-interop.md).
//
// Reads are awaits: they take the task's ctx and park the task until data
// arrives (docs/design.md D3). A read that fails, by cancellation, a limit or
// an early EOF, loses no bytes: they stay in the reader's buffer, or come
// back in the error (IncompleteReadError.Partial). Writes never wait;
// Drain waits while the transport's write buffer is above its high-water
// mark, which is how a writer keeps its memory bounded.
//
// docs/streams.md describes the semantics in full, with examples;
// docs/porting.md maps every asyncio name to its Go spelling.
package streams

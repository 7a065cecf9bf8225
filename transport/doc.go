// Package transport is asyncio's low level of networking: transports and
// protocols over the loop's poller.
//
// A transport owns a connection and moves bytes; a protocol is the
// caller's object, which the transport calls back on the loop goroutine
// (protocol.go holds the contract: ConnectionMade once, DataReceived or
// the buffered-protocol pair, at most one EOFReceived, ConnectionLost
// exactly once; flow control with PauseWriting and ResumeWriting around
// the write buffer's water marks).
//
// CreateConnection and CreateServer dial and listen (TCP and Unix
// sockets, happy eyeballs, several addresses, SO_REUSEPORT);
// CreateDatagramEndpoint opens UDP and Unix datagram sockets;
// ConnectReadPipe and ConnectWritePipe wrap pipes (ConnectReadFile and
// ConnectWriteFile any *os.File, its I/O on a goroutine); StartTLS upgrades a
// transport to TLS; NewTransportPair joins two transports in memory; the
// Sock* awaits (SockRecv, SockSendall, SockConnect, SockAccept) work on raw
// non-blocking sockets; ServePerCore runs one loop per core sharing a
// port. Everything dials and listens through the loop's Network: the
// operating system by default, or a simulated network chosen with
// WithNetwork (package looptest has one).
//
// The package is built on package eventloop's public API only: descriptors
// are watched with AddReader and AddWriter, awaits park with a Parker, and
// every live transport and server is registered with the loop's Track, so
// Loop.Close names it in AliveError.Resources and closes its descriptor.
// Package streams builds asyncio's high-level streams on it.
// docs/networking.md explains the layer.
package transport

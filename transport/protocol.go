package transport

import (
	"errors"
	"net"

	"github.com/aio-go/aio/eventloop"
)

// This file holds the contract of the low-level networking layer, asyncio's
// transports and protocols (docs/design.md D10). A transport owns a connection
// (a socket, a pipe, an in-memory link, a TLS session over another
// transport) and moves bytes; a protocol is the user's object that the
// transport calls back, on the loop goroutine, as things happen. The
// high-level streams (package streams) are one such protocol.
//
// Call order, as in asyncio: ConnectionMade once; then any number of
// DataReceived (or GetBuffer/BufferUpdated pairs); then at most one
// EOFReceived; then ConnectionLost exactly once. PauseWriting and
// ResumeWriting alternate, starting with PauseWriting, between
// ConnectionMade and ConnectionLost. Every callback runs on the loop
// goroutine, never inline inside a Transport method called by the user
// (a Write that fails calls ConnectionLost through the ready queue).

// Default write-buffer limits of a transport, asyncio's values: PauseWriting
// is called when the buffer grows above the high-water mark, ResumeWriting
// when it drains to the low-water mark or below.
const (
	DefaultWriteHighWater = 64 * 1024
	DefaultWriteLowWater  = 16 * 1024
)

// Errors of the transport layer.
var (
	// ErrTransportClosed: a write or a read control on a transport that is
	// closing or closed.
	ErrTransportClosed = errors.New("transport: transport is closing or closed")
	// ErrEOFWritten: Write after WriteEOF.
	ErrEOFWritten = errors.New("transport: write after WriteEOF")
	// ErrWriteEOFUnsupported: WriteEOF on a transport that cannot half-close
	// (TLS before TLS 1.3 close_notify semantics, datagram, …).
	ErrWriteEOFUnsupported = errors.New("transport: transport cannot write EOF")
)

// BaseProtocol is what every protocol implements.
type BaseProtocol interface {
	// ConnectionLost is called once when the connection is closed: err is
	// nil after a regular close or EOF, the cause otherwise (a reset, an
	// abort, a failed write).
	ConnectionLost(err error)
	// PauseWriting is called when the transport's write buffer rises above
	// its high-water mark; ResumeWriting when it falls to the low-water
	// mark. A protocol that keeps writing while paused only grows the
	// buffer.
	PauseWriting()
	ResumeWriting()
}

// StreamProtocol is the part shared by Protocol and BufferedProtocol, the
// two kinds of protocol a stream transport accepts. A transport given a
// StreamProtocol that is neither reports an error.
type StreamProtocol interface {
	BaseProtocol
	// ConnectionMade is called once, first, with the transport.
	ConnectionMade(t Transport)
	// EOFReceived is called when the peer has finished sending (it
	// half-closed, or sent TLS close_notify). Returning false closes the
	// transport (asyncio's default); returning true keeps it open for
	// writing, and the protocol closes it later.
	EOFReceived() (keepOpen bool)
}

// Protocol receives bytes as they arrive.
type Protocol interface {
	StreamProtocol
	// DataReceived is called with the bytes read. data is only valid during
	// the call: the transport reuses its read buffer, so a protocol that
	// keeps bytes copies them.
	DataReceived(data []byte)
}

// BufferedProtocol receives bytes into a buffer of its own, with no copy:
// the transport asks for a buffer, reads into it, and reports how many
// bytes it wrote there (asyncio.BufferedProtocol).
type BufferedProtocol interface {
	StreamProtocol
	// GetBuffer returns a non-empty buffer to read into; sizeHint is the
	// size the transport would like (-1: no preference).
	GetBuffer(sizeHint int) []byte
	// BufferUpdated reports that n bytes were written at the start of the
	// buffer GetBuffer returned.
	BufferUpdated(n int)
}

// DatagramProtocol is the protocol of a datagram endpoint (UDP, unixgram).
type DatagramProtocol interface {
	BaseProtocol
	ConnectionMade(t DatagramTransport)
	// DatagramReceived is called with one datagram and its sender; data is
	// only valid during the call.
	DatagramReceived(data []byte, addr net.Addr)
	// ErrorReceived reports an error of a send or receive that does not end
	// the endpoint (ICMP port unreachable, …).
	ErrorReceived(err error)
}

// BaseTransport is what every transport offers.
type BaseTransport interface {
	// Close closes the transport: buffered writes are still flushed, reads
	// stop at once, and the protocol's ConnectionLost(nil) follows (through
	// the loop) once the buffer is empty. Closing again does nothing.
	Close() error
	// IsClosing reports whether Close or Abort was called, or the
	// connection was lost.
	IsClosing() bool
	// Extra returns optional information about the transport: the Extra*
	// keys below (asyncio's get_extra_info). ok is false for a key the
	// transport does not know.
	Extra(key string) (v any, ok bool)
	// Loop returns the loop the transport belongs to.
	Loop() *eventloop.Loop
}

// Keys for BaseTransport.Extra, with the type of their value.
const (
	ExtraPeerName = "peername" // net.Addr of the peer
	ExtraSockName = "sockname" // net.Addr of the local end
	ExtraSocket   = "socket"   // int: the file descriptor (owned by the transport)
	ExtraPipe     = "pipe"     // int: the pipe's file descriptor
	ExtraTLSState = "tls"      // tls.ConnectionState, once the handshake is done
	ExtraPeerCert = "peercert" // *x509.Certificate of the peer, or nil
)

// ReadTransport is the reading half of a stream transport.
type ReadTransport interface {
	BaseTransport
	// PauseReading stops calling the protocol with data until
	// ResumeReading. Both are idempotent.
	PauseReading()
	ResumeReading()
	IsReading() bool
}

// WriteTransport is the writing half of a stream transport.
type WriteTransport interface {
	BaseTransport
	// Write queues data for sending; it never blocks and never parks. The
	// transport tries to send at once and buffers what the kernel did not
	// take; the caller may reuse data as soon as Write returns. Write on a
	// closing transport returns ErrTransportClosed; after WriteEOF,
	// ErrEOFWritten.
	Write(data []byte) error
	// Writelines is Write of each buffer in turn, sent with one vectored
	// system call where the transport can.
	Writelines(bufs [][]byte) error
	// WriteEOF half-closes: buffered data is flushed, then the write side
	// is shut down. Reading goes on.
	WriteEOF() error
	CanWriteEOF() bool
	// Abort closes at once, dropping buffered data; ConnectionLost(nil)
	// follows through the loop.
	Abort()
	FlowControl
}

// Transport is a bidirectional stream transport (TCP, Unix socket, TLS,
// in-memory pair).
type Transport interface {
	ReadTransport
	WriteTransport
	// SetProtocol replaces the protocol that receives callbacks (used by
	// StartTLS and by streams); Protocol returns the current one.
	SetProtocol(p StreamProtocol)
	Protocol() StreamProtocol
}

// DatagramTransport is the transport of a datagram endpoint.
type DatagramTransport interface {
	BaseTransport
	// SendTo sends one datagram; addr is nil on a connected endpoint.
	// Datagrams the kernel cannot take yet are buffered, as asyncio does.
	SendTo(data []byte, addr net.Addr) error
	Abort()
	FlowControl
}

// ProtocolBase gives a stream protocol asyncio's default methods: embed it
// and override what you need. Its EOFReceived returns false (close on EOF).
type ProtocolBase struct{}

func (ProtocolBase) ConnectionMade(Transport)     {}
func (ProtocolBase) ConnectionLost(error)         {}
func (ProtocolBase) PauseWriting()                {}
func (ProtocolBase) ResumeWriting()               {}
func (ProtocolBase) EOFReceived() (keepOpen bool) { return false }
func (ProtocolBase) DataReceived([]byte)          {}

// DatagramProtocolBase is ProtocolBase for datagram protocols.
type DatagramProtocolBase struct{}

func (DatagramProtocolBase) ConnectionMade(DatagramTransport)  {}
func (DatagramProtocolBase) ConnectionLost(error)              {}
func (DatagramProtocolBase) PauseWriting()                     {}
func (DatagramProtocolBase) ResumeWriting()                    {}
func (DatagramProtocolBase) DatagramReceived([]byte, net.Addr) {}
func (DatagramProtocolBase) ErrorReceived(error)               {}

var (
	_ Protocol         = ProtocolBase{}
	_ DatagramProtocol = DatagramProtocolBase{}
)

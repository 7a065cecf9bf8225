package transport

import "context"

// CreateDatagramEndpoint opens a UDP endpoint on network ("udp", "udp4",
// "udp6"), bound to local and/or connected to remote (either may be "",
// not both), with a protocol from factory, and returns once
// ConnectionMade has run (asyncio's create_datagram_endpoint). On Windows
// it runs over Go's net package: a reader goroutine posts each datagram to
// the loop and waits until it was delivered before it receives the next; a
// writer goroutine sends what SendTo queued, in order, and a failed send
// reaches the protocol's ErrorReceived. A connected endpoint sends with
// SendTo(data, nil) and receives only from remote; Go's net package turns
// off Windows' reports of ICMP port and network unreachable, so
// ErrorReceived does not hear of a closed port there. "unixgram" and
// WithDatagramReusePort are refused with an error wrapping
// errors.ErrUnsupported; SO_BROADCAST is always on for IPv4 (Go's
// default there). SendTo takes a *net.UDPAddr. It is an await: call it
// from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the socket is
// closed, or, once made, the transport aborted.
func CreateDatagramEndpoint[P DatagramProtocol](ctx context.Context, factory func() P, network, local, remote string, opts ...DatagramOption) (DatagramTransport, P, error) {
	return createGoDatagram(ctx, factory, network, local, remote, opts...)
}

//go:build !unix

package transport

import (
	"context"
	"errors"

	"github.com/aio-go/aio/eventloop"
)

// osNetwork has no implementation on this platform: the socket transports
// are built on golang.org/x/sys/unix. A simulated Network (WithNetwork)
// still works.
type osNetwork struct{}

var errNoOSNetwork = errors.New("eventloop: no OS network on this platform")

func (osNetwork) Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error) {
	return nil, &NetError{Op: "dial", Net: network, Addr: address, Err: errNoOSNetwork}
}

func (osNetwork) Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error) {
	return nil, &NetError{Op: "listen", Net: network, Addr: address, Err: errNoOSNetwork}
}

func loopFor(ctx context.Context, op string) (*eventloop.Loop, error) {
	if ctx == nil || eventloop.LoopOf(ctx) == nil {
		return nil, errors.Join(errors.New(op), eventloop.ErrNotInTask)
	}
	return eventloop.LoopOf(ctx), nil
}

func awaitStarted(ctx context.Context, t Transport) error {
	if err := eventloop.Sleep(ctx, 0); err != nil {
		t.Abort()
		return err
	}
	return nil
}

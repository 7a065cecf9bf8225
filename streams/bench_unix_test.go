//go:build unix

package streams_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

func BenchmarkStreamsEchoSocketpair(b *testing.B) {
	benchEcho(b, func(ctx context.Context) (c, s streams.Endpoint, err error) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			return c, s, err
		}
		var ep [2]streams.Endpoint
		for i, fd := range fds {
			_, p, err := transport.ConnectFD(ctx, func() *streams.Protocol { return streams.NewProtocol(ctx) }, fd)
			if err != nil {
				return c, s, err
			}
			ep[i] = streams.Endpoint{Reader: p.Reader(), Writer: p.Writer()}
		}
		return ep[0], ep[1], nil
	})
}

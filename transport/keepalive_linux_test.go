//go:build linux

package transport

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"
)

// keepProto records SO_KEEPALIVE of the accepted socket it is given.
type keepProto struct {
	ProtocolBase
	seen *[]int
}

func (k *keepProto) ConnectionMade(t Transport) {
	fd, _ := t.Extra(ExtraSocket)
	v, err := unix.GetsockoptInt(fd.(int), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
	if err != nil {
		v = -1
	}
	*k.seen = append(*k.seen, v)
	t.Close()
}

// WithKeepAlive(true) sets SO_KEEPALIVE on every accepted TCP socket (as
// asyncio's keep_alive=True); the default leaves it off.
func TestServerKeepAlive(t *testing.T) {
	for _, tc := range []struct {
		opts []ServerOption
		want int
	}{{nil, 0}, {[]ServerOption{WithKeepAlive(true)}, 1}, {[]ServerOption{WithKeepAlive(false)}, 0}} {
		checkFDLeak(t)
		l := newVirtualLoop(t)
		var seen []int
		_, err := runTask(t, l, func(ctx context.Context) (int, error) {
			srv, err := CreateServer(ctx, func() *keepProto { return &keepProto{seen: &seen} }, "tcp", "127.0.0.1:0", tc.opts...)
			if err != nil {
				return 0, err
			}
			for range 2 {
				tr, _, err := CreateConnection(ctx, func() *ProtocolBase { return &ProtocolBase{} }, "tcp", srv.Addrs()[0].String())
				if err != nil {
					return 0, err
				}
				waitUntil(ctx, t, func() bool { return len(seen) > 0 && tr != nil })
				tr.Close()
			}
			waitUntil(ctx, t, func() bool { return len(seen) == 2 })
			srv.Close()
			return 0, srv.WaitClosed(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2 || seen[0] != tc.want || seen[1] != tc.want {
			t.Errorf("opts %d: SO_KEEPALIVE on accepted sockets %v, want %d twice", len(tc.opts), seen, tc.want)
		}
	}
}

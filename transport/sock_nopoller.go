//go:build !unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"

	"github.com/aio-go/aio/internal/errs"
)

// Where the loop has no readiness poller (Windows), the awaits on raw
// descriptors cannot park until a descriptor is ready: each returns an
// error wrapping errors.ErrUnsupported, as asyncio's proactor loop lacks
// them too. Use a transport (CreateConnection, CreateServer,
// CreateDatagramEndpoint) or a net.Conn wrapped with ConnectNetConn.
// SockConnect and SockAccept take golang.org/x/sys/unix's Sockaddr and
// exist on Unix only.

func noPoller(op string) error {
	return errs.Op("transport", op, fmt.Errorf("awaits on a raw descriptor need a readiness poller, which %s lacks: %w", runtime.GOOS, errors.ErrUnsupported))
}

// SockRecv reports errors.ErrUnsupported on this platform.
func SockRecv(ctx context.Context, fd int, n int) ([]byte, error) {
	return nil, noPoller("SockRecv")
}

// SockRecvInto reports errors.ErrUnsupported on this platform.
func SockRecvInto(ctx context.Context, fd int, buf []byte) (int, error) {
	return 0, noPoller("SockRecvInto")
}

// SockSendall reports errors.ErrUnsupported on this platform.
func SockSendall(ctx context.Context, fd int, data []byte) error {
	return noPoller("SockSendall")
}

// SockSendto reports errors.ErrUnsupported on this platform.
func SockSendto(ctx context.Context, fd int, data []byte, addr net.Addr) (int, error) {
	return 0, noPoller("SockSendto")
}

// SockRecvfrom reports errors.ErrUnsupported on this platform.
func SockRecvfrom(ctx context.Context, fd int, n int) ([]byte, net.Addr, error) {
	return nil, nil, noPoller("SockRecvfrom")
}

// SockRecvfromInto reports errors.ErrUnsupported on this platform.
func SockRecvfromInto(ctx context.Context, fd int, buf []byte) (int, net.Addr, error) {
	return 0, nil, noPoller("SockRecvfromInto")
}

// SockSendfile reports errors.ErrUnsupported on this platform.
func SockSendfile(ctx context.Context, fd int, f *os.File, offset, count int64) (int64, error) {
	return 0, noPoller("SockSendfile")
}

// ConnectAccepted reports errors.ErrUnsupported on this platform: wrap
// the connection as a net.Conn with ConnectNetConn instead.
func ConnectAccepted[P StreamProtocol](ctx context.Context, factory func() P, conn syscall.Conn) (Transport, P, error) {
	var zero P
	return nil, zero, noPoller("ConnectAccepted")
}

// ConnectFD reports errors.ErrUnsupported on this platform.
func ConnectFD[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	var zero P
	return nil, zero, noPoller("ConnectFD")
}

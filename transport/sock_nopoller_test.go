//go:build !unix

package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
)

// Without a readiness poller every raw-descriptor await says so with
// errors.ErrUnsupported, naming itself.
func TestSockAwaitsUnsupportedWithoutPoller(t *testing.T) {
	ctx := context.Background()
	var errs []error
	_, err := SockRecv(ctx, 3, 1)
	errs = append(errs, err)
	_, err = SockRecvInto(ctx, 3, make([]byte, 1))
	errs = append(errs, err)
	errs = append(errs, SockSendall(ctx, 3, []byte("x")))
	_, err = SockSendto(ctx, 3, []byte("x"), &net.UDPAddr{})
	errs = append(errs, err)
	_, _, err = SockRecvfrom(ctx, 3, 1)
	errs = append(errs, err)
	_, _, err = SockRecvfromInto(ctx, 3, make([]byte, 1))
	errs = append(errs, err)
	_, err = SockSendfile(ctx, 3, os.Stdin, 0, 0)
	errs = append(errs, err)
	_, _, err = ConnectFD(ctx, func() *fileRec { return &fileRec{} }, 3)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("call %d: %v, want errors.ErrUnsupported", i, err)
		}
	}
}

//go:build linux

package transport

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestConnectErrors(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	refused := freePort(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		newP := func() *recProto { t.Error("factory called for a failed connection"); return &recProto{} }
		for _, tc := range []struct {
			name, network, addr string
			want                error
		}{
			{"refused", "tcp", refused, unix.ECONNREFUSED},
			{"no port", "tcp", "127.0.0.1", nil},
			{"port out of range", "tcp", "127.0.0.1:99999", nil},
			{"bad network", "sctp", "127.0.0.1:80", errBadNetwork},
			{"datagram network", "udp", "127.0.0.1:80", errBadNetwork},
			{"unix missing", "unix", filepath.Join(t.TempDir(), "nope"), unix.ENOENT},
		} {
			_, _, err := CreateConnection(ctx, newP, tc.network, tc.addr)
			var ne *NetError
			if !errors.As(err, &ne) || ne.Op != "dial" || ne.Addr != tc.addr {
				t.Errorf("%s: error %v (%T), want a *NetError for dial %s", tc.name, err, err, tc.addr)
				continue
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: %v does not match %v", tc.name, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "transport: dial ") {
				t.Errorf("%s: message %q", tc.name, err)
			}
		}
		return 0, nil
	})
}

func TestConnectUnresolvable(t *testing.T) {
	if testing.Short() {
		t.Skip("asks the system resolver")
	}
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		_, _, err := CreateConnection(ctx, func() *recProto { return &recProto{} }, "tcp", "no-such-host.invalid:80")
		var dns *net.DNSError
		var ne *NetError
		if !errors.As(err, &ne) || !errors.As(err, &dns) {
			t.Errorf("error %v (%T), want a *NetError wrapping a *net.DNSError", err, err)
		}
		return 0, nil
	})
}

func TestConnectOutsideTask(t *testing.T) {
	l := newVirtualLoop(t)
	_, _, err := CreateConnection(l.Context(), func() *recProto { return &recProto{} }, "tcp", "127.0.0.1:1")
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("from the root context: %v", err)
	}
	_, _, err = CreateConnection(context.Background(), func() *recProto { return &recProto{} }, "tcp", "127.0.0.1:1")
	if !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("from a plain context: %v", err)
	}
}

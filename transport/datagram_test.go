//go:build linux

package transport

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

func TestDatagramEchoAndICMPError(t *testing.T) {
	checkFDLeak(t)
	l := newVirtualLoop(t)
	runTask(t, l, func(ctx context.Context) (int, error) {
		srvT, srv, err := CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{echo: true} }, "udp", "127.0.0.1:0", "")
		if err != nil {
			return 0, err
		}
		saddr, _ := srvT.Extra(ExtraSockName)
		cliT, cli, err := CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{} }, "udp", "", saddr.(net.Addr).String())
		if err != nil {
			return 0, err
		}
		cliT.SendTo([]byte("ping"), nil)
		cliT.SendTo([]byte("pong"), nil)
		waitUntil(ctx, t, func() bool { return len(cli.got) == 2 })
		if strings.Join(cli.got, ",") != "ping,pong" || strings.Join(srv.got, ",") != "ping,pong" {
			t.Errorf("client got %v, server got %v", cli.got, srv.got)
		}
		if _, ok := srv.from[0].(*net.UDPAddr); !ok {
			t.Errorf("sender address %T", srv.from[0])
		}
		if err := cliT.SendTo([]byte("x"), nil); err != nil {
			t.Errorf("SendTo: %v", err)
		}
		// Nobody listens any more: the connected client hears ECONNREFUSED.
		srvT.Close()
		waitUntil(ctx, t, func() bool { return srv.lost == 1 })
		for i := 0; i < 100 && len(cli.errs) == 0; i++ {
			cliT.SendTo([]byte("anyone?"), nil)
			eventloop.Sleep(ctx, time.Millisecond)
		}
		if len(cli.errs) == 0 || !errors.Is(cli.errs[0], unix.ECONNREFUSED) {
			t.Errorf("ErrorReceived: %v", cli.errs)
		}
		if cliT.IsClosing() {
			t.Error("an ICMP error closed the endpoint")
		}
		cliT.Close()
		if err := cliT.SendTo([]byte("x"), nil); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("SendTo after Close: %v", err)
		}
		waitUntil(ctx, t, func() bool { return cli.lost == 1 })
		if strings.Join(cli.events, ",") != "made,lost" {
			t.Errorf("events %v", cli.events)
		}
		_, _, err = CreateDatagramEndpoint(ctx, func() *udpRec { return &udpRec{} }, "tcp", "127.0.0.1:0", "")
		var ne *NetError
		if !errors.As(err, &ne) || !errors.Is(err, errBadNetwork) {
			t.Errorf("tcp datagram endpoint: %v", err)
		}
		return 0, nil
	})
}

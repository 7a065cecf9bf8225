//go:build linux

package transport

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

func TestCloseReportsOpenTransports(t *testing.T) {
	checkFDLeak(t)
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		srv, err := CreateServer(ctx, func() *echoProto { return &echoProto{} }, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		_, _, err = CreateConnection(ctx, func() *recProto { return &recProto{} }, "tcp", srv.Addrs()[0].String())
		return srv.Addrs()[0].String(), err
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	addr, _ := tk.Result()
	err = l.Close()
	var ae *eventloop.AliveError
	if !errors.As(err, &ae) || len(ae.Resources) != 3 {
		t.Fatalf("Close: %v", err)
	}
	if !strings.Contains(err.Error(), "tcp server "+addr) || !strings.Contains(err.Error(), "->"+addr) {
		t.Errorf("message %q does not name the server and the connection", err)
	}
}

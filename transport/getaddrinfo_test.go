package transport

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

func TestGetAddrInfo(t *testing.T) {
	l := newVirtualLoop(t)
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		got, err := GetAddrInfo(ctx, "tcp", "127.0.0.1", "http")
		if err != nil || len(got) != 1 || got[0] != netip.MustParseAddrPort("127.0.0.1:80") {
			t.Errorf("numeric host, named port: %v, %v", got, err)
		}
		got, err = GetAddrInfo(ctx, "tcp4", "localhost", "8080")
		if err != nil || len(got) == 0 || !got[0].Addr().IsLoopback() || got[0].Port() != 8080 {
			t.Errorf("localhost: %v, %v", got, err)
		}
		if _, err := GetAddrInfo(ctx, "tcp", "localhost", "no-such-service-here"); err == nil {
			t.Error("an unknown service resolved")
		}
		// A name, or the numeric form when the resolver knows none.
		if hosts, port, err := GetNameInfo(ctx, netip.MustParseAddrPort("127.0.0.1:8080")); err != nil || port != "8080" || len(hosts) == 0 {
			t.Errorf("GetNameInfo: %q, %q, %v", hosts, port, err)
		}
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if _, err := GetAddrInfo(cctx, "tcp", "localhost", "80"); !errors.Is(err, eventloop.ErrCancelled) {
			t.Errorf("cancelled lookup: %v", err)
		}
		return 0, nil
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	if _, err := GetAddrInfo(context.Background(), "tcp", "localhost", "80"); !errors.Is(err, eventloop.ErrNotInTask) {
		t.Errorf("outside a task: %v", err)
	}
}

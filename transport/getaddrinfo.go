package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// GetAddrInfo resolves host and port for network ("tcp", "tcp4", "tcp6",
// "udp", "udp4", "udp6") on the loop's executor, so the system resolver
// never blocks the loop (asyncio's loop.getaddrinfo), and returns the
// addresses in the resolver's order. A numeric host needs no lookup.
//
// Cancellation: returns ErrCancelled (or ErrTimeout) at once; a lookup
// under way finishes on its worker and its answer is dropped.
func GetAddrInfo(ctx context.Context, network, host, port string) ([]netip.AddrPort, error) {
	l, err := loopFor(ctx, "GetAddrInfo")
	if err != nil {
		return nil, err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return nil, err // cancelled already: start no lookup
	}
	fail := func(err error) error { return errs.Op("transport", "GetAddrInfo", err) }
	p, err := net.DefaultResolver.LookupPort(context.Background(), network, port)
	if err != nil {
		return nil, fail(err)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ip, uint16(p))}, nil
	}
	ipNet := "ip"
	switch network {
	case "tcp4", "udp4":
		ipNet = "ip4"
	case "tcp6", "udp6":
		ipNet = "ip6"
	}
	fut := eventloop.RunInExecutor(l, func() ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(context.Background(), ipNet, host)
	})
	ips, err := eventloop.Await(ctx, fut)
	if err != nil {
		if eventloop.AwaitError(ctx) != nil {
			return nil, err
		}
		return nil, fail(err)
	}
	out := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip.Unmap(), uint16(p))
	}
	return out, nil
}

// GetNameInfo looks up the host names of addr's IP on the loop's executor
// (asyncio's loop.getnameinfo). An address with no name comes back as its
// numeric form, as getnameinfo(3) does without NI_NAMEREQD; the port comes
// back as its number.
//
// Cancellation: as GetAddrInfo.
func GetNameInfo(ctx context.Context, addr netip.AddrPort) (hosts []string, port string, err error) {
	l, err := loopFor(ctx, "GetNameInfo")
	if err != nil {
		return nil, "", err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return nil, "", err
	}
	fut := eventloop.RunInExecutor(l, func() ([]string, error) {
		hosts, err := net.DefaultResolver.LookupAddr(context.Background(), addr.Addr().String())
		if len(hosts) == 0 {
			var dnsErr *net.DNSError
			if err == nil || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				return []string{addr.Addr().String()}, nil
			}
		}
		return hosts, err
	})
	hosts, err = eventloop.Await(ctx, fut)
	if err != nil {
		if eventloop.AwaitError(ctx) != nil {
			return nil, "", err
		}
		return nil, "", errs.Op("transport", "GetNameInfo", err)
	}
	return hosts, strconv.Itoa(int(addr.Port())), nil
}

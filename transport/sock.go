//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/aio-go/aio/eventloop"

	"golang.org/x/sys/unix"
)

// This file turns (network, address) pairs into socket addresses, with
// name resolution off the loop, and socket addresses back into net.Addr.

var errBadNetwork = errors.New("transport: unknown network")

// netKind classifies a network name: the address family constraint (0 for
// either IP family), the socket type, and whether it is a Unix socket.
type netKind struct {
	family int // unix.AF_INET, AF_INET6, AF_UNIX, or 0 for both IP families
	typ    int // unix.SOCK_STREAM or SOCK_DGRAM
}

func parseNetwork(network string) (netKind, error) {
	switch network {
	case "tcp":
		return netKind{0, unix.SOCK_STREAM}, nil
	case "tcp4":
		return netKind{unix.AF_INET, unix.SOCK_STREAM}, nil
	case "tcp6":
		return netKind{unix.AF_INET6, unix.SOCK_STREAM}, nil
	case "udp":
		return netKind{0, unix.SOCK_DGRAM}, nil
	case "udp4":
		return netKind{unix.AF_INET, unix.SOCK_DGRAM}, nil
	case "udp6":
		return netKind{unix.AF_INET6, unix.SOCK_DGRAM}, nil
	case "unix":
		return netKind{unix.AF_UNIX, unix.SOCK_STREAM}, nil
	case "unixgram":
		return netKind{unix.AF_UNIX, unix.SOCK_DGRAM}, nil
	}
	return netKind{}, fmt.Errorf("%w %q", errBadNetwork, network)
}

// resolveAddr returns the socket addresses address stands for. passive
// (listening): an empty host means every interface, one address per
// family. Names are looked up on the loop's executor, so the loop never
// blocks on DNS; ctx must be a task's context then.
func resolveAddr(ctx context.Context, l *eventloop.Loop, nk netKind, address string, passive bool) ([]unix.Sockaddr, error) {
	if nk.family == unix.AF_UNIX {
		if address == "" {
			return nil, errors.New("transport: empty unix socket path")
		}
		return []unix.Sockaddr{&unix.SockaddrUnix{Name: address}}, nil
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, perr := strconv.Atoi(portStr)
	if perr == nil && (port < 0 || port > 65535) {
		return nil, fmt.Errorf("transport: port %d out of range", port)
	}
	if host == "" {
		var ips []netip.Addr
		if passive {
			ips = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
		} else {
			ips = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
		}
		if perr != nil {
			return nil, fmt.Errorf("transport: bad port %q", portStr)
		}
		return toSockaddrs(nk, ips, port)
	}
	if ip, err := netip.ParseAddr(host); err == nil && perr == nil {
		return toSockaddrs(nk, []netip.Addr{ip}, port)
	}
	// A name (or a named port): ask the resolver on the executor.
	type answer struct {
		ips  []netip.Addr
		port int
	}
	lctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ipNet := "ip"
	switch nk.family {
	case unix.AF_INET:
		ipNet = "ip4"
	case unix.AF_INET6:
		ipNet = "ip6"
	}
	fut := eventloop.RunInExecutor(l, func() (answer, error) {
		a := answer{port: port}
		if perr != nil {
			p, err := net.DefaultResolver.LookupPort(lctx, "tcp", portStr)
			if err != nil {
				return a, err
			}
			a.port = p
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			a.ips = []netip.Addr{ip}
			return a, nil
		}
		ips, err := net.DefaultResolver.LookupNetIP(lctx, ipNet, host)
		a.ips = ips
		return a, err
	})
	a, err := eventloop.Await(ctx, fut)
	if err != nil {
		return nil, err
	}
	return toSockaddrs(nk, a.ips, a.port)
}

func toSockaddrs(nk netKind, ips []netip.Addr, port int) ([]unix.Sockaddr, error) {
	var out []unix.Sockaddr
	seen := map[netip.Addr]bool{}
	for _, ip := range ips {
		ip = ip.Unmap()
		if seen[ip] {
			continue
		}
		seen[ip] = true
		switch {
		case ip.Is4() && nk.family != unix.AF_INET6:
			out = append(out, &unix.SockaddrInet4{Port: port, Addr: ip.As4()})
		case ip.Is6() && nk.family != unix.AF_INET:
			sa := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
			if z := ip.Zone(); z != "" {
				if ifi, err := net.InterfaceByName(z); err == nil {
					sa.ZoneId = uint32(ifi.Index)
				} else if n, err := strconv.Atoi(z); err == nil {
					sa.ZoneId = uint32(n)
				}
			}
			out = append(out, sa)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("transport: no address of the requested family")
	}
	return out, nil
}

func sockaddrFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	}
	return unix.AF_UNIX
}

// sockaddrToAddr converts sa to the net.Addr type package net uses for
// netw ("tcp…" → *net.TCPAddr, "udp…" → *net.UDPAddr, "unix…" →
// *net.UnixAddr).
func sockaddrToAddr(netw string, sa unix.Sockaddr) net.Addr {
	var ip net.IP
	var port int
	var zone string
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port
	case *unix.SockaddrInet6:
		ip, port = net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
	case *unix.SockaddrUnix:
		n := "unix"
		if strings.HasPrefix(netw, "unixgram") || strings.HasPrefix(netw, "udp") {
			n = "unixgram"
		}
		return &net.UnixAddr{Name: sa.Name, Net: n}
	default:
		return nil
	}
	if strings.HasPrefix(netw, "udp") {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}

// addrToSockaddr converts a net.Addr given to SendTo.
func addrToSockaddr(a net.Addr) (unix.Sockaddr, error) {
	var ip net.IP
	var port int
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, port = a.IP, a.Port
	case *net.TCPAddr:
		ip, port = a.IP, a.Port
	case *net.UnixAddr:
		return &unix.SockaddrUnix{Name: a.Name}, nil
	default:
		return nil, fmt.Errorf("transport: unsupported address type %T", a)
	}
	if ip4 := ip.To4(); ip4 != nil {
		return &unix.SockaddrInet4{Port: port, Addr: [4]byte(ip4)}, nil
	}
	if len(ip) == net.IPv6len {
		return &unix.SockaddrInet6{Port: port, Addr: [16]byte(ip)}, nil
	}
	return nil, fmt.Errorf("transport: bad IP address %v", ip)
}

// socketError reads and clears SO_ERROR: the outcome of a non-blocking
// connect.
func socketError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

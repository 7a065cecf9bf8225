//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"

	"golang.org/x/sys/unix"
)

// Listen implements Network over OS sockets: one listening socket per
// address the host resolves to (IPv6 ones with IPV6_V6ONLY, as asyncio,
// so that IPv4 and IPv6 sockets can share a port).
func (osNetwork) Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error) {
	l, err := loopFor(ctx, "Listen")
	if err != nil {
		return nil, err
	}
	fail := func(err error) error {
		if isAwaitErr(err) {
			return err
		}
		return &NetError{Op: "listen", Net: network, Addr: address, Err: err}
	}
	nk, err := parseNetwork(network)
	if err != nil {
		return nil, fail(err)
	}
	if nk.typ != unix.SOCK_STREAM {
		return nil, fail(fmt.Errorf("%w: CreateServer needs a stream network", errBadNetwork))
	}
	sas, err := resolveAddr(ctx, l, nk, address, true)
	if err != nil {
		return nil, fail(err)
	}
	if nk.family == unix.AF_UNIX {
		removeStaleSocket(address)
	}
	var out []Listener
	var errs []error
	port := 0
	for _, sa := range sas {
		if port != 0 {
			setPort(sa, port) // ":0" on v4 and v6: one port for both
		}
		ln, err := listenOne(l, nk, sa, cfg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if p, ok := ln.addr.(*net.TCPAddr); ok && port == 0 {
			port = p.Port
		}
		out = append(out, ln)
	}
	// An unspecified host may name a family the machine lacks (no IPv6):
	// that endpoint is skipped as long as another one works.
	if len(errs) > 0 && (len(out) == 0 || !allUnsupported(errs)) {
		for _, ln := range out {
			ln.Close()
		}
		return nil, fail(errors.Join(errs...))
	}
	return out, nil
}

func allUnsupported(errs []error) bool {
	for _, err := range errs {
		if !errors.Is(err, unix.EAFNOSUPPORT) && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return false
		}
	}
	return true
}

func setPort(sa unix.Sockaddr, port int) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if sa.Port == 0 {
			sa.Port = port
		}
	case *unix.SockaddrInet6:
		if sa.Port == 0 {
			sa.Port = port
		}
	}
}

// removeStaleSocket removes path if it is a socket nobody listens on any
// more (a server that died without unlinking it): a connect to it is
// refused. A socket where a live server accepts (the connect succeeds or
// would block on a full backlog) is left, so bind fails with "address
// already in use" instead of making that server unreachable; anything else
// is left for bind to complain about. asyncio removes the socket file
// unconditionally.
func removeStaleSocket(path string) {
	if len(path) == 0 || path[0] == '@' || path[0] == 0 {
		return // abstract namespace: nothing on disk
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	fd, err := newSocket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return
	}
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	unix.Close(fd)
	if errors.Is(err, unix.ECONNREFUSED) {
		os.Remove(path)
	}
}

func listenOne(l *eventloop.Loop, nk netKind, sa unix.Sockaddr, cfg *ServerConfig) (*osListener, error) {
	family := sockaddrFamily(sa)
	fd, err := newSocket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	if family != unix.AF_UNIX {
		if cfg.ReuseAddr {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		}
		if cfg.ReusePort {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				unix.Close(fd)
				return nil, errs.Op("transport", "SO_REUSEPORT", err)
			}
		}
		if family == unix.AF_INET6 {
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("transport: bind %v: %w", sockaddrToAddr("tcp", sa), err)
	}
	if err := unix.Listen(fd, cfg.Backlog); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("transport: listen: %w", err)
	}
	netw := "tcp"
	if family == unix.AF_UNIX {
		netw = "unix"
	}
	ln := &osListener{loop: l, fd: fd, netw: netw, cfg: cfg}
	if ln.claim, err = l.ClaimFD(fd, ln); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if bound, err := unix.Getsockname(fd); err == nil {
		ln.addr = sockaddrToAddr(netw, bound)
	} else {
		ln.addr = sockaddrToAddr(netw, sa)
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok && cfg.CleanupSocket {
		ln.unlink = u.Name
		if fi, err := os.Stat(u.Name); err == nil {
			ln.unlinkInfo = fi
		}
	}
	ln.readFn = ln.acceptReady
	return ln, nil
}

// osListener is a listening socket driven by the loop's poller. It
// accepts in batches of up to the backlog per readiness event (asyncio's
// _accept_connection), and when the process runs out of descriptors it
// stops watching the socket for cfg.AcceptRetry instead of spinning on a
// level-triggered readiness it cannot clear.
type osListener struct {
	loop       *eventloop.Loop
	fd         int
	claim      eventloop.FDClaim // the loop's record that fd is this listener's
	netw       string
	addr       net.Addr
	cfg        *ServerConfig
	h          ConnHandler
	readFn     func()
	want       bool // Accept was called and not Stopped
	watching   bool // the reader is registered
	closed     bool
	retry      eventloop.TimerHandle
	unlink     string      // unix socket path to remove on Close
	unlinkInfo os.FileInfo // ... provided it is still our socket
	stats      ListenerStats
}

func (ln *osListener) Addr() net.Addr       { return ln.addr }
func (ln *osListener) String() string       { return ln.netw + " listener " + addrString(ln.addr) }
func (ln *osListener) FD() int              { return ln.fd }
func (ln *osListener) Stats() ListenerStats { return ln.stats }

func (ln *osListener) Accept(h ConnHandler) error {
	if ln.closed {
		return ErrServerClosed
	}
	ln.h, ln.want = h, true
	if !ln.retry.Pending() {
		return ln.watch()
	}
	return nil
}

func (ln *osListener) watch() error {
	if ln.watching {
		return nil
	}
	if err := ln.claim.AddReader(ln.readFn); err != nil {
		return err
	}
	ln.watching = true
	return nil
}

func (ln *osListener) unwatch() {
	if ln.watching {
		ln.watching = false
		ln.claim.RemoveReader()
	}
}

func (ln *osListener) Stop() {
	ln.want = false
	ln.unwatch()
	ln.retry.Cancel()
	ln.retry = eventloop.TimerHandle{}
}

func (ln *osListener) Close() error {
	if ln.closed {
		return nil
	}
	ln.Stop()
	ln.closed = true
	ln.claim.Release()
	err := unix.Close(ln.fd)
	ln.removePath()
	return err
}

func (ln *osListener) removePath() {
	if ln.unlink == "" {
		return
	}
	// Remove the path only if it is still the socket this listener made
	// (another server may have replaced it meanwhile).
	if fi, err := os.Stat(ln.unlink); err == nil && ln.unlinkInfo != nil && os.SameFile(fi, ln.unlinkInfo) {
		os.Remove(ln.unlink)
	}
}

func (ln *osListener) closeNow() {
	ln.closed = true
	ln.claim.Release()
	unix.Close(ln.fd)
	ln.removePath()
}

func (ln *osListener) acceptReady() {
	for i := 0; i < ln.cfg.Backlog && ln.watching; i++ {
		ln.stats.AcceptCalls++
		nfd, _, err := acceptConn(ln.fd)
		if err != nil {
			switch {
			case isAgain(err):
				return
			case err == unix.EINTR || err == unix.ECONNABORTED || err == unix.EPROTO:
				continue // that connection is gone; try the next
			case isNoFDs(err):
				ln.pause(err)
				return
			}
			ln.h.AcceptError(&NetError{Op: "accept", Net: ln.netw, Addr: addrString(ln.addr), Err: err})
			return
		}
		ln.stats.Accepted++
		if ln.netw == "tcp" && ln.cfg.NoDelay {
			unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		}
		if ln.netw == "tcp" && ln.cfg.KeepAlive {
			unix.SetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
		}
		t, err := newFDTransport(ln.loop, nfd, kindSocket, ln.netw, ln.h.NewProtocol())
		if err != nil {
			ln.h.AcceptError(&NetError{Op: "accept", Net: ln.netw, Addr: addrString(ln.addr), Err: err})
			continue
		}
		t.onLost = ln.h.Detached
		ln.h.Attached(t)
	}
}

// pause stops accepting for cfg.AcceptRetry after EMFILE and the like:
// the pending connection keeps the socket readable, so watching it would
// make the loop spin.
func (ln *osListener) pause(err error) {
	ln.stats.Pauses++
	ln.unwatch()
	ln.h.AcceptError(&NetError{Op: "accept", Net: ln.netw, Addr: addrString(ln.addr),
		Err: fmt.Errorf("%w (pausing accept for %v)", err, ln.cfg.AcceptRetry)})
	ln.retry, _ = ln.loop.CallLater(ln.cfg.AcceptRetry, func() {
		ln.retry = eventloop.TimerHandle{}
		if ln.want && !ln.closed {
			if err := ln.watch(); err != nil {
				ln.h.AcceptError(err)
			}
		}
	})
}

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// GoNetwork is a Network built on Go's net package: Dial runs
// net.Dialer.DialContext on a goroutine and Listen uses net.ListenConfig;
// every connection is a net.Conn transport (ConnectNetConn: a reader and a
// writer goroutine post their completions to the loop). It is the loop's
// OS network on systems without a readiness poller (Windows, where Go's
// runtime does overlapped I/O on IOCP underneath), and can be chosen
// anywhere with WithNetwork(GoNetwork{}).
//
// Against the readiness-based OS network of Unix it costs two goroutines
// and a hand-off per read and per write, and it ignores ServerConfig's
// Backlog and ReuseAddr (Go's defaults apply) and the accept retry delay
// (Go's listener retries by itself). ReusePort, which one loop per core
// needs, is refused with an error wrapping errors.ErrUnsupported: Go's
// net package does not share a port between listeners.
type GoNetwork struct{}

// Dial implements Network.
func (GoNetwork) Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error) {
	l, err := loopFor(ctx, "Dial")
	if err != nil {
		return nil, err
	}
	fail := func(err error) error {
		if isAwaitErr(err) {
			return err
		}
		return &NetError{Op: "dial", Net: network, Addr: address, Err: err}
	}
	var d net.Dialer
	if cfg != nil && cfg.LocalAddr != "" {
		a, err := resolveLocal(network, cfg.LocalAddr)
		if err != nil {
			return nil, fail(err)
		}
		d.LocalAddr = a
	}
	dctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fut := eventloop.NewFuture[net.Conn](l)
	defer l.AddCompletionSource()()
	go func() {
		c, err := d.DialContext(dctx, network, address)
		posted := l.CallSoonThreadsafe(func() {
			switch {
			case fut.Done(): // the dial was cancelled meanwhile
				if c != nil {
					c.Close()
				}
			case err != nil:
				fut.SetError(err)
			default:
				fut.SetResult(c)
			}
		})
		if posted != nil && c != nil {
			c.Close()
		}
	}()
	c, err := eventloop.Await(ctx, fut)
	if err != nil {
		return nil, fail(err)
	}
	if tc, ok := c.(*net.TCPConn); ok && cfg != nil {
		tc.SetNoDelay(cfg.NoDelay)
	}
	t, err := newConnTransport(l, c, newProto(), nil)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func resolveLocal(network, addr string) (net.Addr, error) {
	switch network {
	case "unix", "unixpacket":
		return net.ResolveUnixAddr(network, addr)
	default:
		return net.ResolveTCPAddr(network, addr)
	}
}

// Listen implements Network: one listener for address.
func (GoNetwork) Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error) {
	l, err := loopFor(ctx, "Listen")
	if err != nil {
		return nil, err
	}
	if cfg != nil && cfg.ReusePort {
		return nil, errs.Op("transport", "Listen", fmt.Errorf("SO_REUSEPORT over Go's net package: %w", errors.ErrUnsupported))
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), network, address)
	if err != nil {
		return nil, &NetError{Op: "listen", Net: network, Addr: address, Err: err}
	}
	noDelay := cfg == nil || cfg.NoDelay
	keepAlive := cfg != nil && cfg.KeepAlive
	return []Listener{&goListener{loop: l, ln: ln, noDelay: noDelay, keepAlive: keepAlive}}, nil
}

// goListener is a net.Listener accepting on a goroutine of its own, which
// posts each connection to the loop.
type goListener struct {
	loop      *eventloop.Loop
	ln        net.Listener
	noDelay   bool
	keepAlive bool

	// Loop goroutine only.
	h        ConnHandler
	stats    ListenerStats
	closed   bool
	unsource func() // AddCompletionSource's remove, while accepting

	mu       sync.Mutex // protects stopping, running
	stopping bool
	running  bool
	done     chan struct{} // closed when the accept goroutine ends
}

func (g *goListener) Addr() net.Addr       { return g.ln.Addr() }
func (g *goListener) FD() int              { return -1 }
func (g *goListener) Stats() ListenerStats { return g.stats }

func (g *goListener) Accept(h ConnHandler) error {
	if g.closed {
		return ErrServerClosed
	}
	g.h = h
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running {
		g.stopping = false
		return nil
	}
	if dl, ok := g.ln.(interface{ SetDeadline(time.Time) error }); ok {
		dl.SetDeadline(time.Time{})
	}
	g.running, g.stopping = true, false
	if g.unsource == nil {
		g.unsource = g.loop.AddCompletionSource()
	}
	g.done = make(chan struct{})
	go g.acceptLoop(g.done)
	return nil
}

func (g *goListener) acceptLoop(done chan struct{}) {
	defer close(done)
	for {
		c, err := g.ln.Accept()
		g.mu.Lock()
		stop := g.stopping
		if err != nil && (stop || errors.Is(err, net.ErrClosed)) {
			g.running = false
			g.mu.Unlock()
			if c != nil {
				c.Close()
			}
			return
		}
		g.mu.Unlock()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if g.loop.CallSoonThreadsafe(func() { g.h.AcceptError(err) }) != nil {
				return
			}
			time.Sleep(10 * time.Millisecond) // a transient failure: do not spin
			continue
		}
		if g.loop.CallSoonThreadsafe(func() { g.attach(c) }) != nil {
			c.Close()
			return
		}
	}
}

// attach makes an accepted connection a transport (loop goroutine).
func (g *goListener) attach(c net.Conn) {
	g.stats.AcceptCalls++
	if g.closed {
		c.Close()
		return
	}
	g.mu.Lock()
	stopped := g.stopping
	g.mu.Unlock()
	if stopped { // accepted before Stop took effect: as if never accepted
		c.Close()
		return
	}
	g.stats.Accepted++
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(g.noDelay)
		tc.SetKeepAlive(g.keepAlive)
	}
	h := g.h
	t, err := newConnTransport(g.loop, c, h.NewProtocol(), h.Detached)
	if err != nil {
		h.AcceptError(err)
		return
	}
	h.Attached(t)
}

// Stop stops accepting; the listener stays bound. An Accept blocked in
// the kernel is interrupted with a deadline.
func (g *goListener) Stop() {
	g.mu.Lock()
	g.stopping = true
	running := g.running
	g.mu.Unlock()
	if running {
		if dl, ok := g.ln.(interface{ SetDeadline(time.Time) error }); ok {
			dl.SetDeadline(time.Unix(1, 0))
		}
	}
}

// Close stops accepting and closes the listener. Idempotent.
func (g *goListener) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	g.mu.Lock()
	g.stopping = true
	done := g.done
	g.mu.Unlock()
	err := g.ln.Close()
	if done != nil {
		<-done
	}
	if g.unsource != nil {
		g.unsource()
	}
	return err
}

// closeNow is Close: the loop is closing (Server.closeNow).
func (g *goListener) closeNow() { g.Close() }

package looptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// The simulated network. Each connection is a relay between two
// in-memory transport pairs:
//
//	client protocol ⇄ [pair 1] ⇄ relay end 0 ─ link ─ relay end 1 ⇄ [pair 2] ⇄ server protocol
//
// so the client and the server hold ordinary eventloop transports (the
// whole contract of protocol.go, flow control included), and the relay in
// the middle owns time: every chunk a side writes is cut into segments,
// each given an arrival time on the loop's clock (serialisation at the
// link's bandwidth, then latency plus seeded jitter, never earlier than
// the segment before it), and handed to the other side when it arrives.
// One timer per direction is armed at a time, for the head of its queue,
// and a firing delivers every segment due: timers that share a deadline
// may run in any order under perturbation, the queue keeps a direction's
// bytes in order regardless. No goroutine, no socket: an hour of traffic
// is an hour of timers on a virtual clock.

// Link is how the network behaves between two hosts, in each direction.
// The zero Link is a perfect link: no latency, unlimited bandwidth, no
// faults (bytes still reach the peer a few loop iterations later).
type Link struct {
	// Latency is the one-way delay of every segment (and of a connection
	// handshake's SYN and SYN-ACK).
	Latency time.Duration
	// Jitter adds a delay drawn uniformly from [0, Jitter] to each
	// segment; a segment never overtakes the one sent before it.
	Jitter time.Duration
	// Bandwidth is in bytes per second (0: unlimited). A segment of n
	// bytes occupies the link for n/Bandwidth seconds, after the segments
	// before it.
	Bandwidth int64
	// ResetRate is the probability that delivering a segment resets the
	// connection instead (both ends see ECONNRESET). TCP never loses bytes
	// silently; a broken path shows as a reset.
	ResetRate float64
}

// segmentSize is the most a segment carries: what one delivery hands to
// the receiving transport, and the unit of bandwidth accounting.
const segmentSize = 16 * 1024

// window is how many bytes a direction keeps in flight (queued on the link
// or buffered in the receiving transport) before it stops reading from the
// sender, whose own write buffer then fills and pauses its protocol: a
// socket buffer's worth, as with a kernel.
const window = 256 * 1024

// Defaults of the TCP timers the network models.
const (
	// DefaultConnectTimeout is how long a dial waits across a partition,
	// or for a listener that does not accept, before it fails with
	// ETIMEDOUT: Linux's default with six SYN retries.
	DefaultConnectTimeout = 127 * time.Second
)

// NetOption configures NewNetwork and WithNetwork.
type NetOption func(*Network)

// NetSeed seeds the network's generator (jitter and random resets). By
// default a network made by WithNetwork takes the run's perturbation seed,
// and NewNetwork takes 0.
func NetSeed(seed uint64) NetOption {
	return func(n *Network) { n.seed, n.seeded = seed, true }
}

// DefaultLink sets the Link between hosts that SetLink did not configure.
func DefaultLink(l Link) NetOption { return func(n *Network) { n.defLink = l } }

// ConnectTimeout sets how long a dial waits across a partition, or for a
// listener that is not accepting, before it fails with ETIMEDOUT (default
// DefaultConnectTimeout).
func ConnectTimeout(d time.Duration) NetOption {
	return func(n *Network) {
		if d > 0 {
			n.connectTimeout = d
		}
	}
}

// StallTimeout makes a connection whose bytes a partition has held for d
// break with ETIMEDOUT on both ends, as TCP gives up retransmitting (by
// default, 0, the bytes wait for Heal however long it takes). A connection
// with nothing to send notices no partition, as with TCP without
// keepalives.
func StallTimeout(d time.Duration) NetOption { return func(n *Network) { n.stallTimeout = d } }

// NetStats counts what a Network did.
type NetStats struct {
	Dials     int   // dial attempts
	Refused   int   // dials refused: nobody listened there
	TimedOut  int   // dials that timed out (partition, listener not accepting)
	Conns     int   // connections established
	Resets    int   // connections reset (random, Reset, or a peer's abort)
	Stalls    int   // connections broken by StallTimeout
	Segments  int   // segments delivered
	Bytes     int64 // bytes delivered
	Held      int   // times a direction's delivery was held by a partition
	Listeners int   // listeners open now
}

// Network is an in-memory network on a loop's virtual clock, implementing
// transport.Network: transport.CreateConnection and CreateServer, and so
// streams.OpenConnection and StartServer, work on it unchanged. Choose it
// per run with WithNetwork (which traces its events and seeds it from the
// run), or per loop with transport.WithNetwork(NewNetwork(...)).
//
// Hosts are names: "db", "10.0.0.1", "127.0.0.1" ("localhost" is
// 127.0.0.1). A listener on "host:port" takes dials to that address; one
// on ":port", "0.0.0.0:port" or "[::]:port" takes dials to that port on
// any host without a listener of its own; port 0 gets a free port. A dial
// comes from the host OnHost set on its ctx, else from the host of
// transport.WithLocalAddr, else from 127.0.0.1. "unix" paths work too, as
// connections within one host. Dialing where nobody listens fails with an
// error matching syscall.ECONNREFUSED, after a round trip.
//
// Faults are set per host pair (SetLink, DefaultLink: latency, jitter,
// bandwidth, random resets) or injected (Reset, Partition, Heal); all
// randomness comes from the network's seeded generator, drawn in loop
// order, so a run with the same seeds does the same thing every time.
//
// A Network serves one loop: the first that dials or listens on it. Its
// methods belong to that loop's goroutine (its tasks, or the test
// goroutine between Sim steps).
type Network struct {
	loop           *eventloop.Loop
	seed           uint64
	seeded         bool
	rng            *rand.Rand
	defLink        Link
	links          map[hostPair]Link
	cuts           map[hostPair]bool
	connectTimeout time.Duration
	stallTimeout   time.Duration
	listeners      map[string]*simListener
	ports          map[string]int // host -> next port to try
	conns          map[*simConn]struct{}
	held           []*simDir
	dialWaiters    []eventloop.Parker
	nextID         int
	stats          NetStats
	tracer         func(string)
}

// hostPair is an unordered pair of hosts.
type hostPair struct{ a, b string }

func pairOf(a, b string) hostPair {
	if b < a {
		a, b = b, a
	}
	return hostPair{a, b}
}

// NewNetwork makes an empty network: no listeners, perfect links.
func NewNetwork(opts ...NetOption) *Network {
	n := &Network{links: map[hostPair]Link{}, cuts: map[hostPair]bool{},
		connectTimeout: DefaultConnectTimeout, listeners: map[string]*simListener{},
		ports: map[string]int{}, conns: map[*simConn]struct{}{}}
	for _, o := range opts {
		o(n)
	}
	n.rng = rand.New(rand.NewPCG(n.seed, 0x73696d2d6e6574))
	return n
}

// WithNetwork gives each run (each seed under Seeds) a fresh simulated
// Network made with opts, seeded from the run's perturbation seed unless
// NetSeed is among opts, and records its events (connect, refuse, deliver,
// reset, partition, heal) in the run's trace. Task bodies reach it with
// NetworkOf, tests driving a Sim with Sim.Network.
func WithNetwork(opts ...NetOption) Option {
	return func(cf *config) { cf.netOpts, cf.withNet = append(cf.netOpts, opts...), true }
}

// NetworkOf returns the simulated network of the loop ctx belongs to, or
// nil when that loop uses another network.
func NetworkOf(ctx context.Context) *Network {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil
	}
	n, _ := transport.NetworkOf(l).(*Network)
	return n
}

type hostKey struct{}

// OnHost returns a context whose dials (CreateConnection, OpenConnection)
// come from host: it names the client's end of a link, for SetLink,
// Partition and Reset. Pass it to the dialing call, or spawn the client
// task with it.
func OnHost(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, hostKey{}, normHost(host))
}

// SetLink configures the link between hosts a and b (both directions).
func (n *Network) SetLink(a, b string, l Link) { n.links[pairOf(normHost(a), normHost(b))] = l }

// Partition cuts every link between a host of side1 and a host of side2
// until Heal. Segments that arrive at a cut link are held (TCP
// retransmits them) and delivered in order one latency after Heal; with
// StallTimeout, a connection held that long breaks with ETIMEDOUT. A
// dial across the cut waits for Heal up to the ConnectTimeout. Hosts on
// one side still reach each other.
func (n *Network) Partition(side1, side2 []string) {
	for _, a := range side1 {
		for _, b := range side2 {
			if a, b := normHost(a), normHost(b); a != b {
				n.cuts[pairOf(a, b)] = true
			}
		}
	}
	n.tracef("partition %s | %s", strings.Join(side1, ","), strings.Join(side2, ","))
}

// Heal removes every partition: held segments are sent again (arriving one
// latency later, in order) and waiting dials go on.
func (n *Network) Heal() {
	if len(n.cuts) == 0 {
		return
	}
	n.cuts = map[hostPair]bool{}
	n.trace("heal")
	held := n.held
	n.held = nil
	for _, d := range held {
		d.resume()
	}
	n.wakeDialers()
}

// Partitioned reports whether the link between hosts a and b is cut.
func (n *Network) Partitioned(a, b string) bool { return n.cut(normHost(a), normHost(b)) }

func (n *Network) cut(a, b string) bool { return a != b && len(n.cuts) > 0 && n.cuts[pairOf(a, b)] }

// Reset resets every connection between hosts a and b (either way round)
// at once: both ends see a connection reset (ECONNRESET). It returns how
// many it reset.
func (n *Network) Reset(a, b string) int {
	want := pairOf(normHost(a), normHost(b))
	var hit []*simConn
	for c := range n.conns {
		if pairOf(c.hosts[0], c.hosts[1]) == want {
			hit = append(hit, c)
		}
	}
	sort.Slice(hit, func(i, j int) bool { return hit[i].id < hit[j].id }) // map order is random
	for _, c := range hit {
		c.reset("Reset")
	}
	return len(hit)
}

// shutdown drops every connection's segments in flight and cancels its
// timers (the Sim is closing).
func (n *Network) shutdown() {
	n.tracer = nil // map order below: keep it out of the trace
	for c := range n.conns {
		c.kill()
	}
	for _, ln := range n.listeners {
		ln.Close()
	}
}

// Stats returns the network's counters.
func (n *Network) Stats() NetStats {
	s := n.stats
	s.Listeners = len(n.listeners)
	return s
}

func (n *Network) link(a, b string) Link {
	if l, ok := n.links[pairOf(a, b)]; ok {
		return l
	}
	return n.defLink
}

// delay draws a one-way delay of the link between a and b.
func (n *Network) delay(lk Link) time.Duration {
	d := lk.Latency
	if lk.Jitter > 0 {
		d += time.Duration(n.rng.Int64N(int64(lk.Jitter) + 1))
	}
	return d
}

func (n *Network) trace(s string) {
	if n.tracer != nil {
		n.tracer(s)
	}
}

// tracef formats a trace line only when someone records it.
func (n *Network) tracef(format string, args ...any) {
	if n.tracer != nil {
		n.tracer(fmt.Sprintf(format, args...))
	}
}

func (n *Network) bind(ctx context.Context, op string) (*eventloop.Loop, error) {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, fmt.Errorf("looptest: simulated network: %s: %w", op, eventloop.ErrNotInTask)
	}
	if n.loop == nil {
		n.loop = l
	} else if n.loop != l {
		return nil, fmt.Errorf("looptest: simulated network: %s: %w (a Network serves one loop)", op, eventloop.ErrWrongLoop)
	}
	return l, nil
}

func (n *Network) wakeDialers() {
	ws := n.dialWaiters
	n.dialWaiters = nil
	for _, p := range ws {
		p.Unpark()
	}
}

// normHost turns "localhost" into 127.0.0.1 and unspecified addresses
// into "" (any host).
func normHost(h string) string {
	switch h {
	case "localhost":
		return "127.0.0.1"
	case "0.0.0.0", "::":
		return ""
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.String()
	}
	return h
}

// netKind maps the network name to "tcp" or "unix".
func netKind(network string) (string, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp", nil
	case "unix":
		return "unix", nil
	}
	return "", fmt.Errorf("looptest: simulated network supports tcp and unix, not %q: %w", network, syscall.EAFNOSUPPORT)
}

// splitAddr parses "host:port" (tcp) or a path (unix).
func splitAddr(kind, address string) (host string, port int, err error) {
	if kind == "unix" {
		if address == "" {
			return "", 0, errors.New("looptest: empty unix socket path")
		}
		return address, 0, nil
	}
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, err
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("looptest: bad port %q", p)
	}
	return normHost(h), port, nil
}

func listenKey(kind, host string, port int) string {
	if kind == "unix" {
		return "unix|" + host
	}
	return "tcp|" + host + ":" + strconv.Itoa(port)
}

// freePort allocates a port on host, deterministically: 49152 upwards.
func (n *Network) freePort(host string) int {
	p := n.ports[host]
	if p == 0 {
		p = 49152
	}
	for n.listeners[listenKey("tcp", host, p)] != nil || n.listeners[listenKey("tcp", "", p)] != nil {
		p++
	}
	n.ports[host] = p + 1
	return p
}

// simAddr is the address of an end on the simulated network: a
// *net.TCPAddr when the host is an IP, this otherwise.
type simAddr struct{ netw, s string }

func (a simAddr) Network() string { return a.netw }
func (a simAddr) String() string  { return a.s }

func makeAddr(kind, host string, port int) net.Addr {
	if kind == "unix" {
		return &net.UnixAddr{Name: host, Net: "unix"}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))
	}
	return simAddr{"tcp", net.JoinHostPort(host, strconv.Itoa(port))}
}

// Listen implements transport.Network.
func (n *Network) Listen(ctx context.Context, network, address string, cfg *transport.ServerConfig) ([]transport.Listener, error) {
	fail := func(err error) error {
		return &transport.NetError{Op: "listen", Net: network, Addr: address, Err: err}
	}
	l, err := n.bind(ctx, "Listen")
	if err != nil {
		return nil, err
	}
	kind, err := netKind(network)
	if err != nil {
		return nil, fail(err)
	}
	host, port, err := splitAddr(kind, address)
	if err != nil {
		return nil, fail(err)
	}
	if kind == "tcp" && port == 0 {
		port = n.freePort(host)
	}
	key := listenKey(kind, host, port)
	if n.listeners[key] != nil {
		return nil, fail(syscall.EADDRINUSE)
	}
	ln := &simListener{n: n, loop: l, key: key, kind: kind, host: host, addr: makeAddr(kind, host, port)}
	n.listeners[key] = ln
	n.trace("listen " + ln.addr.String())
	return []transport.Listener{ln}, nil
}

// lookup finds the listener a dial to host:port reaches.
func (n *Network) lookup(kind, host string, port int) *simListener {
	if ln := n.listeners[listenKey(kind, host, port)]; ln != nil || kind == "unix" {
		return ln
	}
	return n.listeners[listenKey(kind, "", port)]
}

// Dial implements transport.Network: after one latency the SYN reaches the
// server's host; if nobody listens there the dial fails with ECONNREFUSED
// one latency later; if a partition cuts the link or the listener is not
// accepting, it waits (up to the ConnectTimeout); otherwise the server
// accepts at once and the client's end is up one latency later.
func (n *Network) Dial(ctx context.Context, network, address string, newProto func() transport.StreamProtocol, cfg *transport.ConnConfig) (transport.Transport, error) {
	fail := func(err error) error {
		return &transport.NetError{Op: "dial", Net: network, Addr: address, Err: err}
	}
	l, err := n.bind(ctx, "Dial")
	if err != nil {
		return nil, err
	}
	kind, err := netKind(network)
	if err != nil {
		return nil, fail(err)
	}
	host, port, err := splitAddr(kind, address)
	if err != nil {
		return nil, fail(err)
	}
	src := n.clientHost(ctx, cfg)
	dst := host
	if kind == "unix" {
		dst = src
	} else if dst == "" {
		dst = "127.0.0.1" // dialing 0.0.0.0 reaches the local host, as on Linux
	}
	n.stats.Dials++
	lk := n.link(src, dst)
	deadline := l.Time() + n.connectTimeout
	if err := eventloop.Sleep(ctx, n.delay(lk)); err != nil {
		return nil, err
	}
	var ln *simListener
	for {
		if !n.cut(src, dst) {
			ln = n.lookup(kind, host, port)
			if ln == nil {
				n.stats.Refused++
				n.tracef("refused %s -> %s", src, address)
				if err := eventloop.Sleep(ctx, n.delay(lk)); err != nil {
					return nil, err
				}
				return nil, fail(syscall.ECONNREFUSED)
			}
			if ln.accepting {
				break
			}
		}
		if l.Time() >= deadline {
			n.stats.TimedOut++
			n.tracef("connect timeout %s -> %s", src, address)
			return nil, fail(syscall.ETIMEDOUT)
		}
		if err := n.waitDial(ctx, l, deadline); err != nil {
			return nil, err
		}
	}
	c, err := n.accept(l, ln, kind, src, dst, cfg)
	if err != nil {
		return nil, fail(err)
	}
	synAck := n.delay(lk)
	c.dirs[1].lastArrival = l.Time() + synAck // server bytes never overtake the SYN-ACK
	if err := eventloop.Sleep(ctx, synAck); err != nil {
		c.reset("dial cancelled")
		return nil, err
	}
	if c.dead {
		return nil, fail(syscall.ECONNRESET)
	}
	return c.attachClient(newProto())
}

// waitDial parks the dialing task until something changes (Heal, a
// listener accepting or closing) or deadline.
func (n *Network) waitDial(ctx context.Context, l *eventloop.Loop, deadline time.Duration) error {
	p, err := eventloop.ParkerFor(ctx, l)
	if err != nil {
		return err
	}
	n.dialWaiters = append(n.dialWaiters, p)
	th, _ := l.CallAt(deadline, p.Unpark)
	err = p.Park(ctx)
	th.Cancel()
	for i, q := range n.dialWaiters {
		if q == p {
			n.dialWaiters = append(n.dialWaiters[:i], n.dialWaiters[i+1:]...)
			break
		}
	}
	return err
}

func (n *Network) clientHost(ctx context.Context, cfg *transport.ConnConfig) string {
	if h, ok := ctx.Value(hostKey{}).(string); ok && h != "" {
		return h
	}
	if cfg != nil && cfg.LocalAddr != "" {
		if h, _, err := net.SplitHostPort(cfg.LocalAddr); err == nil && normHost(h) != "" {
			return normHost(h)
		}
	}
	return "127.0.0.1"
}

// simListener is a listening endpoint of a Network.
type simListener struct {
	n         *Network
	loop      *eventloop.Loop
	key, kind string
	host      string
	addr      net.Addr
	h         transport.ConnHandler
	accepting bool
	closed    bool
	stats     transport.ListenerStats
}

func (ln *simListener) Addr() net.Addr { return ln.addr }
func (ln *simListener) FD() int        { return -1 }

func (ln *simListener) Accept(h transport.ConnHandler) error {
	if ln.closed {
		return fmt.Errorf("looptest: simulated listener %v: %w", ln.addr, eventloop.ErrClosed)
	}
	ln.h, ln.accepting = h, true
	ln.n.wakeDialers()
	return nil
}

func (ln *simListener) Stop() { ln.accepting = false }

func (ln *simListener) Close() error {
	if ln.closed {
		return nil
	}
	ln.closed, ln.accepting = true, false
	delete(ln.n.listeners, ln.key)
	ln.n.trace("close listener " + ln.addr.String())
	ln.n.wakeDialers()
	return nil
}

func (ln *simListener) Stats() transport.ListenerStats { return ln.stats }

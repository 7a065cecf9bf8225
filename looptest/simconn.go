package looptest

import (
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// simConn is one connection of a Network: the relay between the client's
// pair (relay end 0) and the server's pair (relay end 1). Side 0 is the
// client, side 1 the server; dirs[d] carries what side d sends.
type simConn struct {
	n      *Network
	loop   *eventloop.Loop
	id     int
	kind   string
	hosts  [2]string
	addrs  [2]net.Addr
	link   Link
	relay  [2]transport.Transport // relay ends: relay[s] faces side s
	outer  [2]transport.Transport // the client's and the server's transports
	dirs   [2]*simDir
	dead   bool
	ln     *simListener
	closed [2]bool // relay[s] was closed or lost
}

// simDir is one direction of a connection: a queue of segments in flight.
type simDir struct {
	c           *simConn
	side        int // the sending side: reads from relay[side], writes to relay[1-side]
	q           []segment
	armed       bool
	timer       eventloop.TimerHandle
	busyUntil   time.Duration // the link is busy sending until then (bandwidth)
	lastArrival time.Duration
	inflight    int  // bytes queued here
	paused      bool // we paused reading from relay[side]
	dstFull     bool // relay[1-side] told us PauseWriting
	eofSent     bool // the EOF was delivered
	held        bool // waiting for Heal
	stallTimer  eventloop.TimerHandle
}

type segment struct {
	at   time.Duration
	data []byte
	eof  bool // the sender's EOF (after its bytes)
	rst  bool // the sender aborted: reset the receiver
}

func (n *Network) accept(l *eventloop.Loop, ln *simListener, kind, src, dst string, cfg *transport.ConnConfig) (*simConn, error) {
	n.nextID++
	c := &simConn{n: n, loop: l, id: n.nextID, kind: kind, hosts: [2]string{src, dst}, link: n.link(src, dst), ln: ln}
	for s := range c.dirs {
		c.dirs[s] = &simDir{c: c, side: s}
	}
	var clientAddr, serverAddr = ln.addr, ln.addr
	if kind == "tcp" {
		clientAddr = makeAddr(kind, src, n.freePort(src))
		serverAddr = makeAddr(kind, dst, addrPort(ln.addr))
	}
	c.addrs = [2]net.Addr{clientAddr, serverAddr}
	proto := ln.h.NewProtocol()
	server := ln.h
	r1, srv, err := transport.NewTransportPair(l, &relayEnd{c: c, side: 1}, proto,
		transport.WithPairAddrs(clientAddr, serverAddr), transport.WithPairReadRate(segmentSize),
		transport.WithPairLost(func(t transport.Transport, _ error) {
			if t != c.relay[1] {
				server.Detached(t)
			}
		}))
	if err != nil {
		return nil, err
	}
	c.relay[1], c.outer[1] = r1, srv
	ln.stats.AcceptCalls++
	ln.stats.Accepted++
	server.Attached(srv)
	n.conns[c] = struct{}{}
	n.stats.Conns++
	n.tracef("connect c%d %s -> %s", c.id, c.addrs[0], c.addrs[1])
	return c, nil
}

func addrPort(a net.Addr) int {
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return 0
	}
	port, _ := strconv.Atoi(p)
	return port
}

// attachClient makes the client's pair once the SYN-ACK arrived.
func (c *simConn) attachClient(p transport.StreamProtocol) (transport.Transport, error) {
	cli, r0, err := transport.NewTransportPair(c.loop, p, &relayEnd{c: c, side: 0},
		transport.WithPairAddrs(c.addrs[0], c.addrs[1]), transport.WithPairReadRate(segmentSize))
	if err != nil {
		c.reset("client protocol rejected")
		return nil, err
	}
	c.relay[0], c.outer[0] = r0, cli
	c.dirs[1].arm()
	return cli, nil
}

// send queues data written by side d, cut into segments with their
// arrival times.
func (d *simDir) send(data []byte) {
	c := d.c
	now := c.loop.Time()
	for len(data) > 0 {
		k := min(len(data), segmentSize)
		seg := segment{data: append([]byte(nil), data[:k]...)}
		data = data[k:]
		start := max(now, d.busyUntil)
		if bw := c.link.Bandwidth; bw > 0 {
			start += time.Duration(int64(k) * int64(time.Second) / bw)
		}
		d.busyUntil = start
		d.push(seg, start)
		d.inflight += k
	}
	d.flow()
	d.arm()
}

// push queues seg to arrive one (jittered) latency after sent.
func (d *simDir) push(seg segment, sent time.Duration) {
	seg.at = max(sent+d.c.n.delay(d.c.link), d.lastArrival)
	d.lastArrival = seg.at
	d.q = append(d.q, seg)
}

// sendControl queues the EOF or a reset behind the bytes.
func (d *simDir) sendControl(eof, rst bool) {
	now := d.c.loop.Time()
	d.push(segment{eof: eof, rst: rst}, max(now, d.busyUntil))
	d.arm()
}

// arm sets the direction's timer for the head of its queue.
func (d *simDir) arm() {
	if d.armed || d.held || len(d.q) == 0 || d.c.dead {
		return
	}
	d.armed = true
	d.timer, _ = d.c.loop.CallAt(d.q[0].at, d.fire)
}

// fire delivers every segment due.
func (d *simDir) fire() {
	d.armed, d.timer = false, eventloop.TimerHandle{}
	c := d.c
	if c.dead {
		return
	}
	dst := c.relay[1-d.side]
	if dst == nil {
		return // the client's end is not up yet: attachClient arms again
	}
	if c.n.cut(c.hosts[0], c.hosts[1]) {
		d.hold()
		return
	}
	now := c.loop.Time()
	for len(d.q) > 0 && d.q[0].at <= now {
		seg := d.q[0]
		d.q[0] = segment{}
		d.q = d.q[1:]
		switch {
		case seg.rst:
			c.n.tracef("reset c%d by %s (peer aborted)", c.id, sideName(d.side))
			c.reset("")
			return
		case seg.eof:
			d.eofSent = true
			c.n.tracef("eof c%d %s", c.id, c.arrow(d.side))
			if err := dst.WriteEOF(); err != nil {
				// The receiving relay end is gone.
				return
			}
			c.maybeClose()
		default:
			if r := c.link.ResetRate; r > 0 && c.n.rng.Float64() < r {
				c.n.tracef("reset c%d (link fault)", c.id)
				c.reset("")
				return
			}
			d.inflight -= len(seg.data)
			c.n.stats.Segments++
			c.n.stats.Bytes += int64(len(seg.data))
			c.n.tracef("deliver c%d %s %dB", c.id, c.arrow(d.side), len(seg.data))
			if dst.Write(seg.data) != nil {
				return
			}
		}
	}
	d.flow()
	d.arm()
}

func sideName(s int) string {
	if s == 0 {
		return "client"
	}
	return "server"
}

func (c *simConn) arrow(side int) string {
	if side == 0 {
		return "->"
	}
	return "<-"
}

// hold parks the direction until Heal.
func (d *simDir) hold() {
	n := d.c.n
	d.held = true
	n.held = append(n.held, d)
	n.stats.Held++
	n.tracef("hold c%d %s (partition)", d.c.id, d.c.arrow(d.side))
	if n.stallTimeout > 0 {
		d.stallTimer, _ = d.c.loop.CallLater(n.stallTimeout, func() {
			d.stallTimer = eventloop.TimerHandle{}
			if d.held && !d.c.dead {
				d.c.stall()
			}
		})
	}
}

// resume re-sends held segments after Heal: they arrive one latency from
// now, in order.
func (d *simDir) resume() {
	d.held = false
	d.cancelStall()
	if d.c.dead {
		return
	}
	base := d.c.loop.Time() + d.c.n.delay(d.c.link)
	for i := range d.q {
		if d.q[i].at < base {
			d.q[i].at = base
		}
	}
	d.lastArrival = max(d.lastArrival, base)
	d.arm()
}

// flow pauses reading from the sender while the direction has a window's
// worth in flight or the receiver's end is full, and resumes it after.
func (d *simDir) flow() {
	src := d.c.relay[d.side]
	if src == nil || d.c.dead || d.c.closed[d.side] {
		return
	}
	dst := d.c.relay[1-d.side]
	buffered := d.inflight
	if dst != nil {
		buffered += dst.WriteBufferSize()
	}
	switch {
	case !d.paused && (buffered > window || d.dstFull):
		d.paused = true
		src.PauseReading()
	case d.paused && buffered <= window/2 && !d.dstFull:
		d.paused = false
		src.ResumeReading()
	}
}

// maybeClose closes the relay ends once both directions delivered EOF.
func (c *simConn) maybeClose() {
	if c.dirs[0].eofSent && c.dirs[1].eofSent {
		c.finish()
		for _, r := range c.relay {
			if r != nil {
				r.Close()
			}
		}
	}
}

// finish forgets the connection.
func (c *simConn) finish() {
	if _, ok := c.n.conns[c]; ok {
		delete(c.n.conns, c)
		c.n.tracef("closed c%d", c.id)
	}
}

// reset ends the connection at once: both outer ends see ECONNRESET.
func (c *simConn) reset(why string) {
	if c.dead {
		return
	}
	if why != "" {
		c.n.tracef("reset c%d (%s)", c.id, why)
	}
	c.kill()
	c.n.stats.Resets++
	for _, r := range c.relay {
		if r != nil {
			r.Abort()
		}
	}
}

// stall breaks the connection with ETIMEDOUT on both ends: a partition
// outlasted the retransmissions.
func (c *simConn) stall() {
	c.n.tracef("timeout c%d (partition outlasted StallTimeout)", c.id)
	c.kill()
	c.n.stats.Stalls++
	for _, t := range c.outer {
		if t != nil {
			transport.BreakTransport(t, syscall.ETIMEDOUT)
		}
	}
}

func (c *simConn) kill() {
	c.dead = true
	c.finish()
	for _, d := range c.dirs {
		d.timer.Cancel()
		d.timer, d.armed = eventloop.TimerHandle{}, false
		d.q = nil
		d.cancelStall()
	}
}

func (d *simDir) cancelStall() {
	d.stallTimer.Cancel()
	d.stallTimer = eventloop.TimerHandle{}
}

// lost: relay end s's ConnectionLost ran. An error means side s aborted
// (or was written to after closing): the reset travels to the other side.
func (c *simConn) lost(s int, err error) {
	c.closed[s] = true
	if c.dead {
		return
	}
	if err != nil {
		c.dirs[s].sendControl(false, true)
		return
	}
	if c.closed[0] && c.closed[1] {
		c.finish()
	}
}

// relayEnd is the protocol of a relay end: it forwards what side s sends
// into dirs[s], and the flow control of data going to side s.
type relayEnd struct {
	c    *simConn
	side int
}

func (r *relayEnd) ConnectionMade(transport.Transport) {}
func (r *relayEnd) DataReceived(data []byte) {
	if !r.c.dead {
		r.c.dirs[r.side].send(data)
	}
}
func (r *relayEnd) EOFReceived() bool {
	if !r.c.dead {
		r.c.dirs[r.side].sendControl(true, false)
	}
	return true
}
func (r *relayEnd) ConnectionLost(err error) { r.c.lost(r.side, err) }

// PauseWriting: the relay end facing side s has too much buffered for
// side s: stop reading from the other side.
func (r *relayEnd) PauseWriting() {
	d := r.c.dirs[1-r.side]
	d.dstFull = true
	d.flow()
}

func (r *relayEnd) ResumeWriting() {
	d := r.c.dirs[1-r.side]
	d.dstFull = false
	d.flow()
}

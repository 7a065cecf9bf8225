// Command w5load is the load generator of W5 TCP echo (docs/workloads.md), shared
// by every server: ours, asyncio, uvloop, Node, Go net and gnet.
//
// Usage: w5load -addr 127.0.0.1:PORT [-conns 100] [-size 64] [-duration 5s]
// [-warmup 0.5s] [-engine epoll|goroutines] [-server-pid PID]
//
// It opens -conns connections (TCP_NODELAY), then every connection runs a
// closed loop: write one -size byte message ('a'..'z' repeating), read until
// that many bytes came back, verify them byte for byte, send the next one at
// once. After -warmup (not counted) comes the measured window of -duration. A
// request counts if it was sent at or after the window start and its echo
// completed before the window end; its latency is send start to last echo
// byte. The result is one JSON line with rps = counted / duration, the
// latency percentiles (element floor(p*(n-1)) of the sorted latencies), the
// per-connection min/max counts and, measured over the window itself, this
// process's CPU utilisation, every CPU's busy fraction (/proc/stat) and,
// with -server-pid, the server's CPU utilisation.
//
// Engines: epoll (default) is the cheapest generator we could write in Go:
// one locked OS thread, non-blocking sockets, raw level-triggered epoll and
// raw read/write syscalls, so the generator's own cost per request stays low.
// goroutines is the idiomatic goroutine-per-connection variant (Write +
// io.ReadFull), kept for comparison.
//
// A wrong echo byte, a closed connection or no counted request is a FAIL.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

var (
	addr      = flag.String("addr", "127.0.0.1:8888", "server address (IPv4 host:port)")
	conns     = flag.Int("conns", 100, "connections (N)")
	size      = flag.Int("size", 64, "message size in bytes (S)")
	duration  = flag.Duration("duration", 5*time.Second, "measured window (D)")
	warmup    = flag.Duration("warmup", 500*time.Millisecond, "warm-up before the window, not counted")
	engine    = flag.String("engine", "epoll", "epoll or goroutines")
	serverPID = flag.Int("server-pid", 0, "server process whose CPU to report (0 = none)")
)

// window is the measured interval as offsets from the common start.
type window struct {
	base       time.Time
	start, end time.Duration
}

// outcome is what one engine run produced.
type outcome struct {
	lat          []time.Duration // latencies of counted requests
	perConn      []int           // counted requests per connection
	snap0, snap1 snapshot        // taken at the window's start and end
}

// payloads holds the messages of one connection: message k is
// base[k%period:][:size], with base[i] = i%period, so consecutive messages
// differ in every byte and a server that echoes stale bytes (a previous
// message, a reused buffer not refilled) fails the byte check. A message
// costs no copy.
type payloads struct {
	base []byte
	size int
	k    int
}

const period = 251 // a prime, so that no message size lines up with it

func newPayloads(size, conn int) *payloads {
	b := make([]byte, size+period)
	for i := range b {
		b[i] = byte(i % period)
	}
	return &payloads{base: b, size: size, k: conn % period}
}

// next returns the next message.
func (p *payloads) next() []byte {
	p.k = (p.k + 1) % period
	return p.base[p.k : p.k+p.size]
}

func main() {
	flag.Parse()
	if *conns < 1 || *size < 1 || *duration <= 0 {
		peer.Fail("need -conns >= 1, -size >= 1, -duration > 0")
	}
	var run func() outcome
	switch *engine {
	case "epoll":
		run = runEpoll
	case "goroutines":
		run = runGoroutines
	default:
		peer.Fail("unknown engine %q (want epoll or goroutines)", *engine)
	}
	o := run()
	if len(o.lat) == 0 {
		peer.Fail("no request completed inside the window")
	}
	slices.Sort(o.lat)
	pct := func(p float64) float64 {
		return float64(o.lat[int(p*float64(len(o.lat)-1))]) / 1e3
	}
	var sum time.Duration
	for _, d := range o.lat {
		sum += d
	}
	span := o.snap1.t.Sub(o.snap0.t).Seconds()
	fields := map[string]any{
		"workload": "W5", "peer": "w5load (" + *engine + ")", "engine": *engine,
		"n": len(o.lat), "conns": *conns, "size": *size,
		"elapsed_s": duration.Seconds(), "rps": float64(len(o.lat)) / duration.Seconds(),
		"p50_us": pct(0.50), "p99_us": pct(0.99),
		"mean_us":  float64(sum) / float64(len(o.lat)) / 1e3,
		"max_us":   float64(o.lat[len(o.lat)-1]) / 1e3,
		"conn_min": slices.Min(o.perConn), "conn_max": slices.Max(o.perConn),
		"generator_cpu": (o.snap1.selfCPU - o.snap0.selfCPU) / span,
	}
	for cpu, b := range busy(o.snap0.cpus, o.snap1.cpus) {
		fields[cpu+"_busy"] = b
	}
	if o.snap0.server >= 0 && o.snap1.server >= 0 {
		fields["server_cpu"] = (o.snap1.server - o.snap0.server) / span
	}
	peer.Emit(fields)
}

// ---------------------------------------------------------------- epoll

// econn is one connection of the epoll engine.
type econn struct {
	idx     int32 // index in the connection slice, the epoll event's Fd
	fd      int
	wpos    int           // bytes of the current message written
	rpos    int           // bytes of its echo received
	sent    time.Duration // when the current message's first write started
	wantOut bool          // EPOLLOUT registered (a write was partial)
	counted int
	pl      *payloads
	msg     []byte // the current message
}

func runEpoll() outcome {
	// One OS thread does everything: no scheduler hand-offs between the
	// epoll wait and the reads and writes it reports.
	lockThread()
	sa := sockaddr(*addr)
	buf := make([]byte, 64<<10)
	cs := make([]*econn, *conns)
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	check(err, "epoll_create1")
	for i := range cs {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		check(err, "socket")
		check(syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1), "TCP_NODELAY")
		check(syscall.Connect(fd, sa), "connect")
		check(syscall.SetNonblock(fd, true), "set non-blocking")
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
		check(syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl add")
		cs[i] = &econn{idx: int32(i), fd: fd, pl: newPayloads(*size, i)}
		cs[i].msg = cs[i].pl.next()
	}
	defer func() {
		for _, c := range cs {
			syscall.Close(c.fd)
		}
		syscall.Close(epfd)
	}()

	setOut := func(c *econn, on bool) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: c.idx}
		if on {
			ev.Events |= syscall.EPOLLOUT
		}
		check(syscall.EpollCtl(epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev), "epoll_ctl mod")
		c.wantOut = on
	}
	write := func(c *econn) {
		n, err := syscall.Write(c.fd, c.msg[c.wpos:])
		if err != nil && err != syscall.EAGAIN && err != syscall.EINTR {
			peer.Fail("write: %v", err)
		}
		if n > 0 {
			c.wpos += n
		}
		if done := c.wpos == len(c.msg); done == c.wantOut {
			setOut(c, !done)
		}
	}

	w := window{base: time.Now(), start: *warmup, end: *warmup + *duration}
	var o outcome
	o.lat = make([]time.Duration, 0, 1<<20)
	for _, c := range cs {
		c.sent = time.Since(w.base)
		write(c)
	}
	events := make([]syscall.EpollEvent, len(cs))
	started := false
	for {
		now := time.Since(w.base)
		if !started && now >= w.start {
			o.snap0, started = take(), true
		}
		if now >= w.end {
			break
		}
		ms := int((w.end-now)/time.Millisecond) + 1
		n, err := syscall.EpollWait(epfd, events, min(ms, 100))
		if err == syscall.EINTR {
			continue
		}
		check(err, "epoll_wait")
		for _, ev := range events[:n] {
			c := cs[ev.Fd]
			if ev.Events&syscall.EPOLLOUT != 0 && c.wpos < len(c.msg) {
				write(c)
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) == 0 {
				continue
			}
			r, err := syscall.Read(c.fd, buf)
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			if err != nil || r == 0 {
				peer.Fail("connection %d: read returned %d, %v (server closed it?)", ev.Fd, r, err)
			}
			if c.rpos+r > len(c.msg) {
				peer.Fail("connection %d: %d echo bytes for a %d-byte message", ev.Fd, c.rpos+r, len(c.msg))
			}
			if string(buf[:r]) != string(c.msg[c.rpos:c.rpos+r]) {
				peer.Fail("connection %d: echo differs from what was sent", ev.Fd)
			}
			c.rpos += r
			if c.rpos < len(c.msg) {
				continue
			}
			t := time.Since(w.base)
			if c.sent >= w.start && t < w.end {
				o.lat = append(o.lat, t-c.sent)
				c.counted++
			}
			c.rpos, c.wpos, c.sent = 0, 0, t
			c.msg = c.pl.next()
			write(c)
		}
	}
	o.snap1 = take()
	if !started {
		o.snap0 = o.snap1
	}
	for _, c := range cs {
		o.perConn = append(o.perConn, c.counted)
	}
	return o
}

func sockaddr(hostport string) *syscall.SockaddrInet4 {
	host, port, ok := strings.Cut(hostport, ":")
	p, err := strconv.Atoi(port)
	if !ok || err != nil {
		peer.Fail("bad -addr %q", hostport)
	}
	sa := &syscall.SockaddrInet4{Port: p}
	parts := strings.Split(host, ".")
	if len(parts) != 4 {
		peer.Fail("-addr needs an IPv4 address, got %q", host)
	}
	for i, s := range parts {
		b, err := strconv.Atoi(s)
		if err != nil || b < 0 || b > 255 {
			peer.Fail("bad IPv4 address %q", host)
		}
		sa.Addr[i] = byte(b)
	}
	return sa
}

func check(err error, what string) {
	if err != nil {
		peer.Fail("%s: %v", what, err)
	}
}

// ---------------------------------------------------------------- CPU figures

// snapshot is what take() reads at a window boundary.
type snapshot struct {
	t       time.Time
	selfCPU float64            // this process, user + system seconds
	cpus    map[string][]int64 // /proc/stat cpuN tick counters
	server  float64            // server utime + stime seconds, or -1
}

const userHZ = 100 // USER_HZ; 100 on every Linux architecture Go supports

func take() snapshot {
	s := snapshot{t: time.Now(), selfCPU: peer.CPUSeconds(), cpus: map[string][]int64{}, server: -1}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
				continue
			}
			var v []int64
			for _, x := range f[1:9] {
				n, _ := strconv.ParseInt(x, 10, 64)
				v = append(v, n)
			}
			s.cpus[f[0]] = v
		}
	}
	if *serverPID > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *serverPID)); err == nil {
			// Fields after the ")" that ends the command name: state is
			// field 3, utime and stime are fields 14 and 15.
			if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
				f := strings.Fields(string(b[i+1:]))
				if len(f) > 12 {
					u, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					s.server = float64(u+st) / userHZ
				}
			}
		}
	}
	return s
}

// busy returns each CPU's non-idle fraction (idle and iowait excluded).
func busy(a, b map[string][]int64) map[string]float64 {
	out := map[string]float64{}
	for name, v1 := range b {
		v0, ok := a[name]
		if !ok {
			continue
		}
		var total, idle int64
		for i := range v1 {
			d := v1[i] - v0[i]
			total += d
			if i == 3 || i == 4 {
				idle += d
			}
		}
		if total > 0 {
			out[name] = float64(total-idle) / float64(total)
		}
	}
	return out
}

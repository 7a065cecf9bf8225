//go:build unix

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/google/go-cmp/cmp"
)

// eyePlan is what a dial of one address of an eyeNet does: after `after`
// of loop time it fails with fail, or, when fail is nil, connects. hang
// makes it wait until cancelled.
type eyePlan struct {
	after time.Duration
	fail  error
	hang  bool
	// stubborn dials ignore cancellation: the connection comes up anyway
	// (as a connect the kernel completed just before the cancel).
	stubborn bool
}

// eyeNet is a fake Network with a resolver: each address it resolves to
// dials as its plan says, over in-memory transport pairs, and every step
// is logged with the loop time, so the tests can check the race's
// schedule under a virtual clock. open counts the transport ends alive.
type eyeNet struct {
	t        *testing.T
	addrs    []string
	plans    map[string]eyePlan
	log      []string
	open     int
	made     []Transport // client ends, in order
	resolves int
	dials    int
}

func (n *eyeNet) logf(l *eventloop.Loop, format string, args ...any) {
	n.log = append(n.log, fmt.Sprintf("%v ", l.Time())+fmt.Sprintf(format, args...))
}

func (n *eyeNet) Resolve(ctx context.Context, network, address string) ([]string, error) {
	n.resolves++
	if len(n.addrs) == 0 {
		return nil, &NetError{Op: "dial", Net: network, Addr: address, Err: errors.New("no such host")}
	}
	return append([]string(nil), n.addrs...), nil
}

func (n *eyeNet) Dial(ctx context.Context, network, address string, newProto func() StreamProtocol, cfg *ConnConfig) (Transport, error) {
	l := eventloop.LoopOf(ctx)
	n.dials++
	plan, ok := n.plans[address]
	if !ok {
		n.logf(l, "dial %s: unknown", address)
		return nil, &NetError{Op: "dial", Net: network, Addr: address, Err: syscall.EHOSTUNREACH}
	}
	n.logf(l, "dial %s", address)
	d := plan.after
	if plan.hang {
		d = 1000 * time.Hour
	}
	sctx := ctx
	if plan.stubborn {
		sctx = context.WithoutCancel(ctx)
	}
	if err := eventloop.Sleep(sctx, d); err != nil {
		n.logf(l, "cancelled %s", address)
		return nil, err
	}
	if plan.hang {
		n.t.Errorf("hanging dial of %s was never cancelled", address)
	}
	if plan.fail != nil {
		n.logf(l, "failed %s", address)
		return nil, &NetError{Op: "dial", Net: network, Addr: address, Err: plan.fail}
	}
	n.logf(l, "up %s", address)
	a, _, err := NewTransportPair(l, newProto(), &eyeProto{},
		WithPairAddrs(MemAddr("client"), MemAddr(address)),
		WithPairLost(func(Transport, error) { n.open-- }))
	if err != nil {
		return nil, err
	}
	n.open += 2
	n.made = append(n.made, a)
	return a, nil
}

func (n *eyeNet) Listen(ctx context.Context, network, address string, cfg *ServerConfig) ([]Listener, error) {
	return nil, errors.New("eyeNet: no listening")
}

// eyeProto is a protocol that records whether its connection was made and
// lost.
type eyeProto struct {
	made, lost int
}

func (p *eyeProto) ConnectionMade(Transport) { p.made++ }
func (p *eyeProto) ConnectionLost(error)     { p.lost++ }
func (p *eyeProto) PauseWriting()            {}
func (p *eyeProto) ResumeWriting()           {}
func (p *eyeProto) EOFReceived() bool        { return false }
func (p *eyeProto) DataReceived(data []byte) {}

// eyeResult is what one CreateConnection over an eyeNet gave.
type eyeResult struct {
	tr        Transport
	peer      string
	err       error
	at        time.Duration // loop time when CreateConnection returned
	factories int           // calls of the protocol factory
	openAfter int           // transport ends alive once it returned
	losers    int           // client ends made other than the one returned, not closing when it returned
}

// dialEye runs CreateConnection over n on a virtual loop with opts and
// closes the connection it got; it checks that nothing is left open.
func dialEye(t *testing.T, n *eyeNet, opts ...ConnOption) eyeResult {
	t.Helper()
	if n.t == nil {
		n.t = t
	}
	l := newVirtualLoop(t, WithNetwork(n))
	var res eyeResult
	runTask(t, l, func(ctx context.Context) (int, error) {
		tr, p, err := CreateConnection(ctx, func() *eyeProto { res.factories++; return &eyeProto{} }, "tcp", "example.test:80", opts...)
		res.tr, res.err, res.at, res.openAfter = tr, err, l.Time(), n.open
		for _, m := range n.made {
			if m != tr && !m.IsClosing() {
				res.losers++
			}
		}
		if err != nil {
			return 0, nil
		}
		if p.made != 1 {
			t.Errorf("ConnectionMade ran %d times before CreateConnection returned", p.made)
		}
		if v, ok := tr.Extra(ExtraPeerName); ok {
			res.peer = fmt.Sprint(v)
		}
		tr.Abort()
		return 0, eventloop.Sleep(ctx, time.Millisecond) // let the pair finish
	})
	if n.open != 0 {
		t.Errorf("%d transport ends still open at the end", n.open)
	}
	return res
}

func TestHappyEyeballsBlackholedFirst(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "[2001:db8::1]:80"},
		plans: map[string]eyePlan{"192.0.2.1:80": {hang: true}, "[2001:db8::1]:80": {}},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(250*time.Millisecond))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.peer != "[2001:db8::1]:80" || res.at != 250*time.Millisecond || res.factories != 1 || res.openAfter != 2 {
		t.Errorf("peer %s at %v, %d factory calls, %d ends open; want [2001:db8::1]:80 at 250ms, 1, 2", res.peer, res.at, res.factories, res.openAfter)
	}
	want := []string{
		"0s dial 192.0.2.1:80",
		"250ms dial [2001:db8::1]:80",
		"250ms up [2001:db8::1]:80",
		"250ms cancelled 192.0.2.1:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestHappyEyeballsFastFailureStartsNextAtOnce(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80", "192.0.2.3:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80": {after: 10 * time.Millisecond, fail: syscall.ECONNREFUSED},
			"192.0.2.2:80": {after: 5 * time.Millisecond},
			"192.0.2.3:80": {},
		},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(time.Second))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.peer != "192.0.2.2:80" || res.at != 15*time.Millisecond {
		t.Errorf("peer %s at %v, want 192.0.2.2:80 at 15ms", res.peer, res.at)
	}
	want := []string{
		"0s dial 192.0.2.1:80",
		"10ms failed 192.0.2.1:80",
		"10ms dial 192.0.2.2:80",
		"15ms up 192.0.2.2:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestHappyEyeballsWinnerCancelsLosers(t *testing.T) {
	// 1 is slow, 2 starts at 100ms and wins at 150ms, 3 starts at 200ms?
	// No: 2 wins first, so 3 never starts, and 1 is cancelled.
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80", "192.0.2.3:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80": {after: time.Second},
			"192.0.2.2:80": {after: 50 * time.Millisecond},
			"192.0.2.3:80": {},
		},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(100*time.Millisecond), WithInterleave(0))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.peer != "192.0.2.2:80" || res.at != 150*time.Millisecond || res.openAfter != 2 {
		t.Errorf("peer %s at %v with %d ends open, want 192.0.2.2:80 at 150ms with 2", res.peer, res.at, res.openAfter)
	}
	want := []string{
		"0s dial 192.0.2.1:80",
		"100ms dial 192.0.2.2:80",
		"150ms up 192.0.2.2:80",
		"150ms cancelled 192.0.2.1:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestHappyEyeballsTieLoserClosed(t *testing.T) {
	// Both connections come up in the same loop iteration, the second
	// although it was cancelled: the first one wins, the second gets a
	// protocol of its own and is aborted; the factory runs once.
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80": {after: 100 * time.Millisecond},
			"192.0.2.2:80": {after: 50 * time.Millisecond, stubborn: true},
		},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(50*time.Millisecond))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.peer != "192.0.2.1:80" || res.factories != 1 || len(n.made) != 2 || res.losers != 0 {
		t.Errorf("peer %s, %d factory calls, %d connections made, %d losers left open; want 192.0.2.1:80, 1, 2, 0",
			res.peer, res.factories, len(n.made), res.losers)
	}
	want := []string{
		"0s dial 192.0.2.1:80",
		"50ms dial 192.0.2.2:80",
		"100ms up 192.0.2.1:80",
		"100ms up 192.0.2.2:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestHappyEyeballsAllFail(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "[2001:db8::1]:80", "192.0.2.2:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80":     {after: time.Millisecond, fail: syscall.ECONNREFUSED},
			"[2001:db8::1]:80": {after: 300 * time.Millisecond, fail: syscall.ETIMEDOUT},
			"192.0.2.2:80":     {after: time.Millisecond, fail: syscall.ENETUNREACH},
		},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(100*time.Millisecond))
	var ne *NetError
	if !errors.As(res.err, &ne) || ne.Op != "dial" || ne.Addr != "example.test:80" {
		t.Fatalf("err %v, want a *NetError for dial example.test:80", res.err)
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ETIMEDOUT, syscall.ENETUNREACH} {
		if !errors.Is(res.err, e) {
			t.Errorf("errors.Is(err, %v) false: %v", e, res.err)
		}
	}
	msg := res.err.Error()
	for _, a := range n.addrs {
		if strings.Count(msg, a) != 1 {
			t.Errorf("error names %s %d times, want once: %s", a, strings.Count(msg, a), msg)
		}
	}
	if !strings.HasPrefix(msg, "transport: dial tcp example.test:80: ") {
		t.Errorf("message %q", msg)
	}
	// Order after interleave: 192.0.2.1, 2001:db8::1, 192.0.2.2; the
	// third starts after the delay since the second is still trying.
	want := []string{
		"0s dial 192.0.2.1:80",
		"1ms failed 192.0.2.1:80",
		"1ms dial [2001:db8::1]:80",
		"101ms dial 192.0.2.2:80",
		"102ms failed 192.0.2.2:80",
		"301ms failed [2001:db8::1]:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if res.at != 301*time.Millisecond || res.factories != 0 {
		t.Errorf("returned at %v after %d factory calls, want 301ms and 0", res.at, res.factories)
	}
}

func TestHappyEyeballsCallerCancel(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80", "192.0.2.3:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80": {hang: true},
			"192.0.2.2:80": {hang: true},
			"192.0.2.3:80": {hang: true},
		},
	}
	n.t = t
	l := newVirtualLoop(t, WithNetwork(n))
	factories := 0
	runTask(t, l, func(ctx context.Context) (int, error) {
		cctx, cancel := eventloop.WithCancel(ctx)
		defer cancel()
		l.CallLater(300*time.Millisecond, cancel)
		_, _, err := CreateConnection(cctx, func() *eyeProto { factories++; return &eyeProto{} }, "tcp", "example.test:80", WithHappyEyeballsDelay(200*time.Millisecond))
		if !errors.Is(err, eventloop.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want ErrCancelled", err)
		}
		if l.Time() != 300*time.Millisecond {
			t.Errorf("returned at %v, want 300ms", l.Time())
		}
		return 0, nil
	})
	want := []string{
		"0s dial 192.0.2.1:80",
		"200ms dial 192.0.2.2:80",
		"300ms cancelled 192.0.2.1:80",
		"300ms cancelled 192.0.2.2:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if n.open != 0 || factories != 0 {
		t.Errorf("%d ends open, %d factory calls; want 0, 0", n.open, factories)
	}
	if tasks := l.AllTasks(); len(tasks) != 0 {
		t.Errorf("tasks left: %v", tasks)
	}
}

func TestHappyEyeballsDelayZeroStartsAll(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80", "192.0.2.3:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80": {hang: true},
			"192.0.2.2:80": {hang: true},
			"192.0.2.3:80": {after: time.Millisecond},
		},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(0))
	if res.err != nil || res.peer != "192.0.2.3:80" || res.at != time.Millisecond {
		t.Fatalf("peer %s at %v, err %v; want 192.0.2.3:80 at 1ms", res.peer, res.at, res.err)
	}
}

func TestInterleaveWithoutDelayIsSequential(t *testing.T) {
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80", "192.0.2.2:80", "192.0.2.3:80", "[2001:db8::1]:80", "[2001:db8::2]:80"},
		plans: map[string]eyePlan{
			"192.0.2.1:80":     {after: time.Second, fail: syscall.ETIMEDOUT},
			"192.0.2.2:80":     {after: time.Second, fail: syscall.ETIMEDOUT},
			"192.0.2.3:80":     {after: time.Second},
			"[2001:db8::1]:80": {after: time.Second, fail: syscall.ETIMEDOUT},
			"[2001:db8::2]:80": {after: time.Second, fail: syscall.ETIMEDOUT},
		},
	}
	res := dialEye(t, n, WithInterleave(2))
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := []string{
		"0s dial 192.0.2.1:80",
		"1s failed 192.0.2.1:80",
		"1s dial 192.0.2.2:80",
		"2s failed 192.0.2.2:80",
		"2s dial [2001:db8::1]:80",
		"3s failed [2001:db8::1]:80",
		"3s dial 192.0.2.3:80",
		"4s up 192.0.2.3:80",
	}
	if diff := cmp.Diff(want, n.log); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestHappyEyeballsOffDialsAsBefore(t *testing.T) {
	n := &eyeNet{plans: map[string]eyePlan{"example.test:80": {}}}
	res := dialEye(t, n)
	if res.err != nil || n.resolves != 0 || n.dials != 1 || res.peer != "example.test:80" {
		t.Errorf("err %v, %d resolves, %d dials, peer %s; want one Dial of the name as given", res.err, n.resolves, n.dials, res.peer)
	}
}

func TestHappyEyeballsOneAddress(t *testing.T) {
	// One address: nothing to race, the error names the address as given
	// once, as without the option.
	n := &eyeNet{
		addrs: []string{"192.0.2.1:80"},
		plans: map[string]eyePlan{"192.0.2.1:80": {after: time.Millisecond, fail: syscall.ECONNREFUSED}},
	}
	res := dialEye(t, n, WithHappyEyeballsDelay(time.Second))
	want := "transport: dial tcp example.test:80: connection refused"
	if res.err == nil || res.err.Error() != want || !errors.Is(res.err, syscall.ECONNREFUSED) || n.dials != 1 {
		t.Errorf("err %v after %d dials, want %q after 1", res.err, n.dials, want)
	}
}

func TestHappyEyeballsResolveError(t *testing.T) {
	n := &eyeNet{}
	res := dialEye(t, n, WithHappyEyeballsDelay(time.Millisecond))
	var ne *NetError
	if !errors.As(res.err, &ne) || !strings.Contains(res.err.Error(), "no such host") || n.dials != 0 {
		t.Errorf("err %v after %d dials, want the resolver's *NetError and no dial", res.err, n.dials)
	}
}

func TestHappyEyeballsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		give ConnOption
		want string
	}{
		{"negative delay", WithHappyEyeballsDelay(-time.Second), "happy eyeballs delay -1s is negative"},
		{"negative interleave", WithInterleave(-1), "interleave -1 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &eyeNet{addrs: []string{"192.0.2.1:80"}, plans: map[string]eyePlan{"192.0.2.1:80": {}}}
			res := dialEye(t, n, tc.give)
			var ne *NetError
			if !errors.As(res.err, &ne) || !strings.Contains(res.err.Error(), tc.want) || n.dials+n.resolves != 0 {
				t.Errorf("err %v (%d dials), want a *NetError saying %q and no dial", res.err, n.dials, tc.want)
			}
		})
	}
}

func TestConnConfigInterleaveDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		give []ConnOption
		want int
	}{
		{"none", nil, 0},
		{"delay", []ConnOption{WithHappyEyeballsDelay(time.Second)}, 1},
		{"delay, interleave 0", []ConnOption{WithHappyEyeballsDelay(time.Second), WithInterleave(0)}, 0},
		{"interleave 0, delay", []ConnOption{WithInterleave(0), WithHappyEyeballsDelay(time.Second)}, 0},
		{"delay, interleave 3", []ConnOption{WithHappyEyeballsDelay(time.Second), WithInterleave(3)}, 3},
		{"interleave 2", []ConnOption{WithInterleave(2)}, 2},
	} {
		if got := connConfig(tc.give).Interleave; got != tc.want {
			t.Errorf("%s: Interleave %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestInterleaveAddrs(t *testing.T) {
	const (
		a4, b4, c4, d4 = "192.0.2.1:1", "192.0.2.2:1", "192.0.2.3:1", "192.0.2.4:1"
		a6, b6, c6     = "[2001:db8::1]:1", "[2001:db8::2]:1", "[2001:db8::3]:1"
		m4             = "[::ffff:192.0.2.9]:1"
		name           = "host.test:1"
	)
	for _, tc := range []struct {
		name  string
		give  []string
		first int
		want  []string
	}{
		{"one family", []string{a4, b4, c4}, 1, []string{a4, b4, c4}},
		{"alternate", []string{a6, b6, c6, a4, b4}, 1, []string{a6, a4, b6, b4, c6}},
		{"first count 2", []string{a6, b6, c6, a4, b4}, 2, []string{a6, b6, a4, c6, b4}},
		{"first count beyond family", []string{a6, a4, b4}, 5, []string{a6, a4, b4}},
		{"mixed input", []string{a4, a6, b4, c4, d4, b6}, 1, []string{a4, a6, b4, b6, c4, d4}},
		{"mapped v4 is v4", []string{a6, m4, b6}, 1, []string{a6, m4, b6}},
		{"names are a family", []string{name, a4, b4}, 1, []string{name, a4, b4}},
	} {
		if got := interleaveAddrs(tc.give, tc.first); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// openFDs counts this process's descriptors, or returns -1 where the
// system does not list them.
func openFDs() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if ents, err := os.ReadDir(dir); err == nil {
			return len(ents)
		}
	}
	return -1
}

func TestHappyEyeballsRealSockets(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	// ":port" resolves to 127.0.0.1 and ::1, in that order.
	t.Run("refused first", func(t *testing.T) {
		// Only ::1 listens, so the first attempt is refused and the
		// second starts at once: the delay is an hour, and the deadline
		// shorter, so a race that waited for the delay would fail.
		realEyeballs(t, "tcp6", "[::1]:0", time.Hour, "[::1]")
	})
	t.Run("both listen", func(t *testing.T) {
		// Both listen and the attempts start one iteration apart: one
		// wins; the other is cancelled mid-connect or, connected already,
		// aborted. No descriptor may stay open either way.
		realEyeballs(t, "tcp", ":0", 0, "")
	})
}

// realEyeballs listens on network/address with package net, dials
// ":port" through the OS network with happy eyeballs and the given delay,
// and checks the peer's host (unless wantHost is "") and that every
// descriptor was closed.
func realEyeballs(t *testing.T, network, address string, delay time.Duration, wantHost string) {
	before := openFDs()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	acceptorDone := make(chan struct{})
	go func() {
		defer close(acceptorDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	l, err := eventloop.New()
	if err != nil {
		t.Fatal(err)
	}
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		tr, _, err := CreateConnection(ctx, func() *eyeProto { return &eyeProto{} }, "tcp", fmt.Sprintf(":%d", port),
			WithHappyEyeballsDelay(delay))
		if err != nil {
			return "", err
		}
		peer, _ := tr.Extra(ExtraPeerName)
		tr.Abort()
		return fmt.Sprint(peer), eventloop.Sleep(ctx, 0)
	})
	if err := l.RunUntilComplete(tk); err != nil {
		t.Fatal(err)
	}
	peer, err := tk.Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := net.JoinHostPort(strings.Trim(wantHost, "[]"), fmt.Sprint(port)); wantHost != "" && peer != want {
		t.Errorf("connected to %s, want %s", peer, want)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	ln.Close()
	<-acceptorDone
	if after := openFDs(); before >= 0 && after != before {
		t.Errorf("descriptors: %d before, %d after", before, after)
	}
}

// BenchmarkCreateConnectionRace is the cost of the race machinery: one
// CreateConnection (and Abort) per op over 127.0.0.1, as is and with
// happy eyeballs (one address: one attempt task, one timer not set).
func BenchmarkCreateConnectionRace(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []ConnOption
	}{
		{"plain", nil},
		{"happy-eyeballs", []ConnOption{WithHappyEyeballsDelay(250 * time.Millisecond)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l, err := eventloop.New()
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
				srv, err := CreateServer(ctx, func() *eyeProto { return &eyeProto{} }, "tcp", "127.0.0.1:0")
				if err != nil {
					return 0, err
				}
				defer srv.Close()
				addr := srv.Addrs()[0].String()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					tr, _, err := CreateConnection(ctx, func() *eyeProto { return &eyeProto{} }, "tcp", addr, bc.opts...)
					if err != nil {
						return 0, err
					}
					tr.Abort()
				}
				b.StopTimer()
				return 0, eventloop.Sleep(ctx, 10*time.Millisecond)
			})
			if err := l.RunUntilComplete(tk); err != nil {
				b.Fatal(err)
			}
			if _, err := tk.Result(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkCreateConnectionRaceMem is the race's own cost, with no
// system calls: CreateConnection over the fake network (in-memory pairs),
// as is, with happy eyeballs over one address (no race), and over two
// whose first answers at once (one attempt task, a timer set and
// cancelled).
func BenchmarkCreateConnectionRaceMem(b *testing.B) {
	for _, bc := range []struct {
		name  string
		addrs []string
		opts  []ConnOption
	}{
		{"plain", nil, nil},
		{"happy-eyeballs-1", []string{"192.0.2.1:80"}, []ConnOption{WithHappyEyeballsDelay(250 * time.Millisecond)}},
		{"happy-eyeballs-2", []string{"192.0.2.1:80", "[2001:db8::1]:80"}, []ConnOption{WithHappyEyeballsDelay(250 * time.Millisecond)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := &eyeNet{addrs: bc.addrs, plans: map[string]eyePlan{"192.0.2.1:80": {}, "[2001:db8::1]:80": {}, "example.test:80": {}}}
			l, err := eventloop.New(WithNetwork(n))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (int, error) {
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n.log = n.log[:0]
					tr, _, err := CreateConnection(ctx, func() *eyeProto { return &eyeProto{} }, "tcp", "example.test:80", bc.opts...)
					if err != nil {
						return 0, err
					}
					tr.Abort()
				}
				b.StopTimer()
				return 0, eventloop.Sleep(ctx, time.Millisecond)
			})
			if err := l.RunUntilComplete(tk); err != nil {
				b.Fatal(err)
			}
			if _, err := tk.Result(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

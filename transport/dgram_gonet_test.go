package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/aio-go/aio/eventloop"
)

// dgramRec records a datagram endpoint's callbacks; lost resolves with
// ConnectionLost's error, want with the got slice once it holds n
// datagrams.
type dgramRec struct {
	DatagramProtocolBase
	t    DatagramTransport
	echo bool
	got  []string
	errs []error
	n    int
	want *eventloop.Future[[]string]
	lost *eventloop.Future[error]
}

func newDgramRec(l *eventloop.Loop, n int) *dgramRec {
	return &dgramRec{n: n, want: eventloop.NewFuture[[]string](l), lost: eventloop.NewFuture[error](l)}
}

func (p *dgramRec) ConnectionMade(t DatagramTransport) { p.t = t }
func (p *dgramRec) DatagramReceived(d []byte, from net.Addr) {
	p.got = append(p.got, string(d))
	if p.echo {
		p.t.SendTo(d, from)
	}
	if len(p.got) == p.n {
		p.want.SetResult(p.got)
	}
}
func (p *dgramRec) ErrorReceived(err error) { p.errs = append(p.errs, err) }
func (p *dgramRec) ConnectionLost(err error) {
	if p.lost.Done() {
		panic("ConnectionLost twice")
	}
	p.lost.SetResult(err)
}

// skipNoUDP skips the test where Go's net package cannot open a UDP
// socket: under Wine 8.0, which lacks the SIO_UDP_NETRESET ioctl that Go
// sets on every UDP socket on Windows (WSAEOPNOTSUPP, 10045). Real Windows
// has it; elsewhere the error never matches.
// It probes on the test goroutine, before the loop runs.
func skipNoUDP(t *testing.T) {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err == nil {
		c.Close()
		return
	}
	if strings.Contains(err.Error(), "wsaioctl") && errors.Is(err, syscall.Errno(10045)) {
		t.Skipf("UDP over Go's net package does not open here (Wine lacks SIO_UDP_NETRESET): %v", err)
	}
}

// Loopback echo: every datagram comes back, in order, and both ends close
// cleanly.
func TestGoDatagramEcho(t *testing.T) {
	skipNoUDP(t)
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		const n = 50
		srv := newDgramRec(l, n)
		srv.echo = true
		st, _, err := createGoDatagram(ctx, func() *dgramRec { return srv }, "udp4", "127.0.0.1:0", "")
		if err != nil {
			return err
		}
		addr, ok := st.Extra(ExtraSockName)
		if !ok {
			st.Close()
			return errors.New("no ExtraSockName")
		}
		cli := newDgramRec(l, n)
		ct, _, err := createGoDatagram(ctx, func() *dgramRec { return cli }, "udp4", "", addr.(net.Addr).String())
		if err != nil {
			st.Close()
			return err
		}
		if peer, ok := ct.Extra(ExtraPeerName); !ok || peer.(net.Addr).String() != addr.(net.Addr).String() {
			t.Errorf("client's ExtraPeerName = %v, %v", peer, ok)
		}
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("datagram %d", i))
			if err := ct.SendTo([]byte(want[i]), nil); err != nil {
				t.Errorf("SendTo: %v", err)
			}
		}
		got, err := eventloop.Await(ctx, cli.want)
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(srv.got) != fmt.Sprint(want) {
			t.Errorf("client got %q\nserver got %q\nwant %q", got, srv.got, want)
		}
		if ct.WriteBufferSize() != 0 {
			t.Errorf("WriteBufferSize %d after every echo came back", ct.WriteBufferSize())
		}
		ct.Close()
		st.Close()
		for _, p := range []*dgramRec{cli, srv} {
			if lerr, err := eventloop.Await(ctx, p.lost); err != nil || lerr != nil {
				t.Errorf("lost: %v, %v", lerr, err)
			}
			if len(p.errs) != 0 {
				t.Errorf("ErrorReceived: %v", p.errs)
			}
		}
		return nil
	})
}

// Close while the reader waits for a datagram: ConnectionLost(nil), the
// goroutines end (goleak checks), and datagrams queued before Close are
// still sent.
func TestGoDatagramCloseWhileReading(t *testing.T) {
	skipNoUDP(t)
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		const n = 20
		srv := newDgramRec(l, n)
		st, _, err := createGoDatagram(ctx, func() *dgramRec { return srv }, "udp4", "127.0.0.1:0", "")
		if err != nil {
			return err
		}
		addr, _ := st.Extra(ExtraSockName)
		cli := newDgramRec(l, 0)
		ct, _, err := createGoDatagram(ctx, func() *dgramRec { return cli }, "udp4", "127.0.0.1:0", "")
		if err != nil {
			st.Close()
			return err
		}
		for i := range n {
			if err := ct.SendTo([]byte(fmt.Sprint(i)), addr.(net.Addr)); err != nil {
				t.Errorf("SendTo: %v", err)
			}
		}
		ct.Close() // the client's reader is blocked: nothing is sent to it
		if err := ct.SendTo([]byte("late"), addr.(net.Addr)); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("SendTo after Close = %v", err)
		}
		if lerr, err := eventloop.Await(ctx, cli.lost); err != nil || lerr != nil {
			t.Errorf("client lost: %v, %v", lerr, err)
		}
		if _, err := eventloop.Await(ctx, srv.want); err != nil {
			return err
		}
		st.Close()
		if lerr, err := eventloop.Await(ctx, srv.lost); err != nil || lerr != nil {
			t.Errorf("server lost: %v, %v", lerr, err)
		}
		return nil
	})
}

func TestGoDatagramAbortAndErrors(t *testing.T) {
	skipNoUDP(t)
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		p := newDgramRec(l, 0)
		tr, _, err := createGoDatagram(ctx, func() *dgramRec { return p }, "udp", "127.0.0.1:0", "")
		if err != nil {
			return err
		}
		if err := tr.SendTo([]byte("x"), nil); err == nil {
			t.Error("SendTo(nil) on an unconnected endpoint succeeded")
		}
		if err := tr.SendTo([]byte("x"), &net.UnixAddr{Name: "x", Net: "unixgram"}); err == nil {
			t.Error("SendTo a Unix address succeeded")
		}
		tr.Abort()
		tr.Abort()
		if lerr, err := eventloop.Await(ctx, p.lost); err != nil || lerr != nil {
			t.Errorf("lost: %v, %v", lerr, err)
		}
		return nil
	})
}

// Bad input is refused before any socket is opened (this runs under Wine
// too).
func TestGoDatagramBadInput(t *testing.T) {
	runFileTask(t, func(ctx context.Context, l *eventloop.Loop) error {
		for _, c := range []struct {
			network, local string
			opts           []DatagramOption
			is             error
		}{
			{"unixgram", "x", nil, errors.ErrUnsupported},
			{"udp", "127.0.0.1:0", []DatagramOption{WithDatagramReusePort(true)}, errors.ErrUnsupported},
			{"tcp", "127.0.0.1:0", nil, errBadDatagram},
		} {
			_, _, err := createGoDatagram(ctx, func() *dgramRec { return newDgramRec(l, 0) }, c.network, c.local, "", c.opts...)
			var ne *NetError
			if !errors.Is(err, c.is) || !errors.As(err, &ne) {
				t.Errorf("%s %s: %v, want a *NetError wrapping %v", c.network, c.local, err, c.is)
			}
		}
		if _, _, err := createGoDatagram[*dgramRec](ctx, nil, "udp", "127.0.0.1:0", ""); !errors.Is(err, eventloop.ErrNilCallback) {
			t.Errorf("nil factory: %v", err)
		}
		if _, _, err := createGoDatagram(ctx, func() *dgramRec { return nil }, "udp", "", ""); err == nil {
			t.Error("no address: no error")
		}
		return nil
	})
}

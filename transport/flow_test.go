//go:build linux

package transport

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

// flowRec records the flow-control calls a protocol gets.
type flowRec struct {
	ProtocolBase
	events []string
}

func (p *flowRec) PauseWriting()  { p.events = append(p.events, "pause") }
func (p *flowRec) ResumeWriting() { p.events = append(p.events, "resume") }

// flowCase is one kind of transport under the shared flow control: open
// returns the writing side w (its protocol is rec), and fill/drain make
// its write buffer grow above and fall below the marks.
type flowCase struct {
	name string
	open func(t *testing.T, ctx context.Context, rec *flowRec) (w FlowControl, fill func(), drain func())
}

func flowCases() []flowCase {
	return []flowCase{
		{"memory pair", func(t *testing.T, ctx context.Context, rec *flowRec) (FlowControl, func(), func()) {
			a, b, err := NewTransportPair(eventloop.LoopOf(ctx), rec, &ProtocolBase{})
			if err != nil {
				t.Fatal(err)
			}
			eventloop.Sleep(ctx, 0)
			b.PauseReading()
			t.Cleanup(func() { a.Abort(); b.Abort() })
			return a, func() { a.Write(make([]byte, 100)) }, func() { b.ResumeReading() }
		}},
		{"unix socket pair", func(t *testing.T, ctx context.Context, rec *flowRec) (FlowControl, func(), func()) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
			tr, _, err := ConnectFD(ctx, func() *flowRec { return rec }, fds[0])
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tr.Abort(); unix.Close(fds[1]) })
			fill := func() { tr.Write(make([]byte, 1<<20)) }
			drain := func() {
				buf := make([]byte, 1<<16)
				for i := 0; i < 10000 && tr.WriteBufferSize() > 0; i++ {
					unix.Read(fds[1], buf)
					eventloop.Sleep(ctx, 0)
				}
			}
			return tr, fill, drain
		}},
		{"write pipe", func(t *testing.T, ctx context.Context, rec *flowRec) (FlowControl, func(), func()) {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			tr, _, err := ConnectWritePipe(ctx, func() *flowRec { return rec }, p[1])
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tr.Abort(); unix.Close(p[0]) })
			fill := func() { tr.Write(make([]byte, 1<<20)) }
			drain := func() {
				buf := make([]byte, 1<<16)
				for i := 0; i < 10000 && tr.WriteBufferSize() > 0; i++ {
					unix.Read(p[0], buf)
					eventloop.Sleep(ctx, 0)
				}
			}
			return tr, fill, drain
		}},
		{"TLS over a memory pair", func(t *testing.T, ctx context.Context, rec *flowRec) (FlowControl, func(), func()) {
			// Only the marks: TLS keeps its raw transport's flow control.
			a, b, err := NewTransportPair(eventloop.LoopOf(ctx), &ProtocolBase{}, &ProtocolBase{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Abort(); b.Abort() })
			tt := &tlsTransport{raw: a}
			return tt, nil, nil
		}},
		{"datagram endpoint", func(t *testing.T, ctx context.Context, rec *flowRec) (FlowControl, func(), func()) {
			tr, _, err := CreateDatagramEndpoint(ctx, func() *DatagramProtocolBase { return &DatagramProtocolBase{} }, "udp", "127.0.0.1:0", "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tr.Abort() })
			return tr, nil, nil
		}},
	}
}

// TestFlowControlIsShared runs the same flow-control checks against every
// kind of transport: one validation and one message, the defaults, and
// (where the buffer can be made to grow) PauseWriting from a callback of
// its own once above the high-water mark, then ResumeWriting once drained,
// alternating.
func TestFlowControlIsShared(t *testing.T) {
	var messages []string
	for _, c := range flowCases() {
		t.Run(c.name, func(t *testing.T) {
			checkFDLeak(t)
			l := newVirtualLoop(t)
			runTask(t, l, func(ctx context.Context) (int, error) {
				rec := &flowRec{}
				w, fill, drain := c.open(t, ctx, rec)
				defer func() {
					w.(interface{ Abort() }).Abort()
					for range 3 {
						eventloop.Sleep(ctx, 0)
					}
				}()
				if low, high := w.WriteBufferLimits(); low != DefaultWriteLowWater || high != DefaultWriteHighWater {
					t.Errorf("default limits = %d, %d; want %d, %d", low, high, DefaultWriteLowWater, DefaultWriteHighWater)
				}
				err := w.SetWriteBufferLimits(10, 20)
				if err == nil {
					t.Fatal("low > high accepted")
				}
				messages = append(messages, err.Error())
				if low, high := w.WriteBufferLimits(); low != DefaultWriteLowWater || high != DefaultWriteHighWater {
					t.Errorf("a refused SetWriteBufferLimits changed the limits to %d, %d", low, high)
				}
				if err := w.SetWriteBufferLimits(100, -1); err != nil {
					t.Fatal(err)
				}
				if low, high := w.WriteBufferLimits(); low != 25 || high != 100 {
					t.Errorf("limits (100, -1) = %d, %d; want 25, 100", low, high)
				}
				if fill == nil {
					return 0, nil
				}
				if err := w.SetWriteBufferLimits(10, 0); err != nil {
					t.Fatal(err)
				}
				eventloop.Sleep(ctx, 0)
				fill()
				if len(rec.events) != 0 {
					t.Errorf("flow control called %v inside Write", rec.events)
				}
				if w.WriteBufferSize() <= 10 {
					t.Fatalf("buffer %d did not grow above the high-water mark", w.WriteBufferSize())
				}
				eventloop.Sleep(ctx, 0)
				fill() // more while paused: no second PauseWriting
				eventloop.Sleep(ctx, 0)
				if len(rec.events) != 1 || rec.events[0] != "pause" {
					t.Fatalf("after filling: %v, want [pause]", rec.events)
				}
				drain()
				for range 10 {
					eventloop.Sleep(ctx, 0)
				}
				if len(rec.events) != 2 || rec.events[1] != "resume" {
					t.Errorf("after draining (buffer %d): %v, want [pause resume]", w.WriteBufferSize(), rec.events)
				}
				return 0, nil
			})
		})
	}
	for _, m := range messages[1:] {
		if m != messages[0] {
			t.Errorf("transports disagree on the message: %q vs %q", messages[0], m)
		}
	}
	if len(messages) != len(flowCases()) {
		t.Fatalf("%d of %d cases got to the validation", len(messages), len(flowCases()))
	}
}

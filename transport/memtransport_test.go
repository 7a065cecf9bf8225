package transport

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// memRec records its callbacks as strings.
type memRec struct {
	name     string
	tr       *trace
	t        Transport
	keepOpen bool
	onData   func(p *memRec, data []byte)
	got      []byte
}

func (p *memRec) ConnectionMade(t Transport) { p.t = t; p.tr.add(p.name + " made") }
func (p *memRec) DataReceived(d []byte) {
	p.got = append(p.got, d...)
	p.tr.add(fmt.Sprintf("%s data %q", p.name, d))
	if p.onData != nil {
		p.onData(p, d)
	}
}
func (p *memRec) EOFReceived() bool { p.tr.add(p.name + " eof"); return p.keepOpen }
func (p *memRec) ConnectionLost(err error) {
	s := "nil"
	if err != nil {
		s = "error"
		if errors.Is(err, syscall.ECONNRESET) {
			s = "reset"
		}
	}
	p.tr.add(p.name + " lost " + s)
}
func (p *memRec) PauseWriting()  { p.tr.add(p.name + " pause") }
func (p *memRec) ResumeWriting() { p.tr.add(p.name + " resume") }

// memBufRec is a BufferedProtocol that records what it got.
type memBufRec struct {
	memRec
	buf [3]byte
}

func (p *memBufRec) GetBuffer(int) []byte { return p.buf[:] }
func (p *memBufRec) BufferUpdated(n int) {
	p.got = append(p.got, p.buf[:n]...)
	p.tr.add(fmt.Sprintf("%s buffer %q", p.name, p.buf[:n]))
}

func runMemPair(t *testing.T, pa, pb StreamProtocol, opts []PairOption, body func(a, b Transport)) {
	t.Helper()
	l := newVirtualLoop(t)
	a, b, err := NewTransportPair(l, pa, pb, opts...)
	if err != nil {
		t.Fatal(err)
	}
	body(a, b)
	for range 50 {
		if err := l.RunOnce(0); err != nil {
			t.Fatal(err)
		}
	}
}

func wantMemTrace(t *testing.T, tr *trace, want []string) {
	t.Helper()
	if d := cmp.Diff(want, tr.get()); d != "" {
		t.Errorf("trace (-want +got):\n%s", d)
	}
}

func TestMemPairEchoAndClose(t *testing.T) {
	tr := &trace{}
	a := &memRec{name: "a", tr: tr}
	b := &memRec{name: "b", tr: tr, onData: func(p *memRec, d []byte) {
		p.t.Write([]byte(strings.ToUpper(string(d))))
	}}
	runMemPair(t, a, b, nil, func(ta, tb Transport) {
		ta.Write([]byte("hi"))
		ta.Write([]byte(" there"))
		ta.Close()
		if err := ta.Write([]byte("x")); !errors.Is(err, ErrTransportClosed) {
			t.Errorf("Write after Close: %v", err)
		}
	})
	wantMemTrace(t, tr, []string{
		"a made", "b made",
		`b data "hi there"`, "b eof",
		// b wrote back to a that had closed, then closed on EOF: the
		// bytes are dropped, as a kernel would after a successful write.
		"a lost nil", "b lost nil",
	})
}

func TestMemPairHalfClose(t *testing.T) {
	tr := &trace{}
	a := &memRec{name: "a", tr: tr, keepOpen: true}
	b := &memRec{name: "b", tr: tr, keepOpen: true, onData: nil}
	runMemPair(t, a, b, nil, func(ta, tb Transport) {
		ta.Write([]byte("req"))
		ta.WriteEOF()
		if err := ta.Write([]byte("x")); !errors.Is(err, ErrEOFWritten) {
			t.Errorf("Write after WriteEOF: %v", err)
		}
		b.onData = func(p *memRec, d []byte) {}
		tr.add("-")
	})
	// b answers after EOF, then closes; a gets data and EOF, closes too.
	b.t.Write([]byte("resp"))
	b.t.Close()
	l := b.t.Loop()
	for range 20 {
		l.RunOnce(0)
	}
	a.t.Close()
	for range 20 {
		l.RunOnce(0)
	}
	wantMemTrace(t, tr, []string{
		"-", "a made", "b made", `b data "req"`, "b eof",
		`a data "resp"`, "a eof", "b lost nil", "a lost nil",
	})
}

func TestMemPairFlowControl(t *testing.T) {
	tr := &trace{}
	a := &memRec{name: "a", tr: tr}
	b := &memRec{name: "b", tr: tr}
	l := newVirtualLoop(t)
	ta, tb, err := NewTransportPair(l, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.SetWriteBufferLimits(10, 4); err != nil {
		t.Fatal(err)
	}
	if err := ta.SetWriteBufferLimits(1, 4); err == nil {
		t.Error("low > high accepted")
	}
	tb.PauseReading()
	l.RunOnce(0)
	ta.Write([]byte("0123456789ab"))
	for range 5 {
		l.RunOnce(0)
	}
	if got := ta.WriteBufferSize(); got != 12 {
		t.Errorf("buffer size while peer paused: %d", got)
	}
	tb.ResumeReading()
	for range 5 {
		l.RunOnce(0)
	}
	wantMemTrace(t, tr, []string{"a made", "b made", "a pause", `b data "0123456789ab"`, "a resume"})
	if ta.WriteBufferSize() != 0 {
		t.Errorf("buffer not drained: %d", ta.WriteBufferSize())
	}
	ta.Abort()
	tb.Abort()
	for range 5 {
		l.RunOnce(0)
	}
}

func TestMemPairReadRateAndBufferedProtocol(t *testing.T) {
	tr := &trace{}
	a := &memRec{name: "a", tr: tr}
	b := &memBufRec{memRec: memRec{name: "b", tr: tr}}
	runMemPair(t, a, b, []PairOption{WithPairReadRate(4)}, func(ta, tb Transport) {
		ta.Write([]byte("abcdefgh"))
		ta.Abort()
	})
	// Abort drops what was buffered: the peer is reset.
	wantMemTrace(t, tr, []string{"a made", "b made", "a lost nil", "b lost reset"})

	tr2 := &trace{}
	a2 := &memRec{name: "a", tr: tr2}
	b2 := &memBufRec{memRec: memRec{name: "b", tr: tr2}}
	runMemPair(t, a2, b2, []PairOption{WithPairReadRate(4)}, func(ta, tb Transport) {
		ta.Write([]byte("abcdefgh"))
		ta.Close()
	})
	wantMemTrace(t, tr2, []string{
		"a made", "b made",
		`b buffer "abc"`, `b buffer "d"`, `b buffer "efg"`, `b buffer "h"`,
		"b eof", "a lost nil", "b lost nil",
	})
	if string(b2.got) != "abcdefgh" {
		t.Errorf("got %q", b2.got)
	}
}

func TestMemPairExtraAndErrors(t *testing.T) {
	l := newVirtualLoop(t)
	if _, _, err := NewTransportPair(l, nil, &memRec{}); err == nil {
		t.Error("nil protocol accepted")
	}
	if _, _, err := NewTransportPair(l, memBare{}, &memRec{}); err == nil {
		t.Error("a protocol without DataReceived nor GetBuffer accepted")
	}
	ta, tb, err := NewTransportPair(l, &memRec{tr: &trace{}}, &memRec{tr: &trace{}}, WithPairAddrs(MemAddr("x"), MemAddr("y")))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ta.Extra(ExtraPeerName); !ok || v.(MemAddr) != "y" {
		t.Errorf("peername: %v %v", v, ok)
	}
	if v, ok := tb.Extra(ExtraSockName); !ok || v.(MemAddr) != "y" {
		t.Errorf("sockname: %v %v", v, ok)
	}
	if _, ok := ta.Extra(ExtraSocket); ok {
		t.Error("socket of an in-memory transport")
	}
	ta.Abort()
	tb.Abort()
	l.RunOnce(0)
}

// memBare is a StreamProtocol that is neither a Protocol nor a
// BufferedProtocol.
type memBare struct{}

func (memBare) ConnectionMade(Transport) {}
func (memBare) ConnectionLost(error)     {}
func (memBare) PauseWriting()            {}
func (memBare) ResumeWriting()           {}
func (memBare) EOFReceived() bool        { return false }

func TestMemPairLostHookAndBreak(t *testing.T) {
	tr := &trace{}
	a := &memRec{name: "a", tr: tr}
	b := &memRec{name: "b", tr: tr}
	var ta0 Transport
	hook := WithPairLost(func(tt Transport, err error) {
		who := "b"
		if tt == ta0 {
			who = "a"
		}
		s := "nil"
		if err != nil {
			s = "timedout"
			if !errors.Is(err, syscall.ETIMEDOUT) {
				s = "other"
			}
			if errors.Is(err, syscall.ECONNRESET) {
				s = "reset"
			}
		}
		tr.add("hook " + who + " " + s)
	})
	runMemPair(t, a, b, []PairOption{hook}, func(ta, tb Transport) {
		ta0 = ta
		ta.Write([]byte("dropped"))
		if !BreakTransport(ta, syscall.ETIMEDOUT) {
			t.Error("BreakTransport of a live end reported false")
		}
		if BreakTransport(ta, syscall.ETIMEDOUT) {
			t.Error("BreakTransport of a lost end reported true")
		}
	})
	if BreakTransport(nil, syscall.ETIMEDOUT) {
		t.Error("BreakTransport(nil) reported true")
	}
	wantMemTrace(t, tr, []string{
		"a made", "b made",
		"a lost error", "hook a timedout",
		"b lost reset", "hook b reset",
	})
}

package transport

import (
	"errors"
	"syscall"
	"testing"
)

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

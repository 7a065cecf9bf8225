//go:build linux

package transport

import (
	"fmt"
	"net"
	"testing"
)

func TestServePerCore(t *testing.T) {
	checkFDLeak(t)
	made := make(chan int, 64)
	s, err := ServePerCore(2, "tcp4", "127.0.0.1:0", func(i int) *echoProto {
		made <- i
		return &echoProto{}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for i := 0; i < 32 && (len(seen) < 2 || i < 4); i++ {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Sprintf("conn %d", i)
		c.Write([]byte(msg))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if string(buf[:n]) != msg || err != nil {
			t.Errorf("echo %q, %v", buf[:n], err)
		}
		c.Close()
		seen[<-made]++
	}
	if err := s.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if len(seen) != 2 {
		t.Errorf("connections per loop: %v (the kernel put all on one)", seen)
	}
	total := uint64(0)
	for _, st := range s.Stats() {
		total += st.Accept.Accepted
	}
	if total != uint64(seen[0]+seen[1]) {
		t.Errorf("stats %+v, seen %v", s.Stats(), seen)
	}
}

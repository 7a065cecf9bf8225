package main

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/aio-go/aio/bench/peers/go/internal/peer"
)

func lockThread() { runtime.LockOSThread() }

// runGoroutines is the idiomatic engine: one goroutine per connection doing
// Write + io.ReadFull in a loop.
func runGoroutines() outcome {
	ncs := make([]*net.TCPConn, *conns)
	for i := range ncs {
		c, err := net.Dial("tcp4", *addr)
		check(err, "dial")
		tc := c.(*net.TCPConn)
		check(tc.SetNoDelay(true), "TCP_NODELAY")
		ncs[i] = tc
	}
	w := window{base: time.Now(), start: *warmup, end: *warmup + *duration}
	var o outcome
	lats := make([][]time.Duration, len(ncs))
	o.perConn = make([]int, len(ncs))
	var wg sync.WaitGroup
	for i, c := range ncs {
		// A reply still missing a second after the window ends stops the loop.
		c.SetDeadline(w.base.Add(w.end + time.Second))
		wg.Go(func() {
			defer c.Close()
			pl := newPayloads(*size, i)
			buf := make([]byte, *size)
			for {
				msg := pl.next()
				t0 := time.Since(w.base)
				if t0 >= w.end {
					return
				}
				_, err := c.Write(msg)
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				if err != nil {
					if errors.Is(err, os.ErrDeadlineExceeded) {
						return
					}
					peer.Fail("connection %d: %v", i, err)
				}
				if string(buf) != string(msg) {
					peer.Fail("connection %d: echo differs from what was sent", i)
				}
				t1 := time.Since(w.base)
				if t0 >= w.start && t1 < w.end {
					lats[i] = append(lats[i], t1-t0)
					o.perConn[i]++
				}
			}
		})
	}
	time.Sleep(time.Until(w.base.Add(w.start)))
	o.snap0 = take()
	time.Sleep(time.Until(w.base.Add(w.end)))
	o.snap1 = take()
	wg.Wait()
	for _, l := range lats {
		o.lat = append(o.lat, l...)
	}
	return o
}

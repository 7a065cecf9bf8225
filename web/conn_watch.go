package web

import (
	"context"
	"errors"

	"github.com/aio-go/aio/eventloop"
)

// The disconnect watch: net/http cancels a request's context when the
// client goes away while the handler runs, by reading the connection in
// the background. Here the read is a short task of the loop, started only
// once the handler has parked (a callback posted before ServeHTTP runs
// first then): a handler that returns without awaiting costs one posted
// callback, cancelled. The watch reads one byte into c.one, as the idle
// wait does: a byte of a pipelined request becomes c.pending, EOF or an
// error cancels the request's ctx and closes the connection after the
// handler. It reads only when nothing else can: the request's body is at
// its end and nothing is buffered.

// armWatch posts the watch's start for the request whose ctx cancel
// ends.
func (c *conn) armWatch(cancel context.CancelFunc) {
	c.reqCancel = cancel
	if c.startWatchFn == nil {
		c.startWatchFn = c.startWatch
	}
	h, err := c.s.loop.CallSoon(c.startWatchFn)
	if err == nil {
		c.watchH, c.watchArmed = h, true
	}
}

// startWatch runs when the handler parked: it spawns the watch if the
// stream is the handler's no more.
func (c *conn) startWatch() {
	c.watchArmed = false
	if c.hijack || c.br == nil || !c.body.eof || c.br.Buffered() > 0 || c.pending {
		return
	}
	c.watch = eventloop.Spawn(c.ctx, c.watchRead, eventloop.WithName("web: disconnect watch"))
}

func (c *conn) watchRead(ctx context.Context) (struct{}, error) {
	n, err := c.sr.ReadInto(ctx, c.one[:])
	switch {
	case n == 1:
		c.pending = true // the next request's first byte
	case err != nil && !errors.Is(err, eventloop.ErrCancelled):
		c.peerGone = true
		c.reqCancel()
	}
	return struct{}{}, nil
}

// stopWatch ends the watch before the stream is read again (the next
// request, a hijack): it waits for a watch task to finish.
func (c *conn) stopWatch() {
	if c.watchArmed {
		c.watchH.Cancel()
		c.watchArmed = false
	}
	if t := c.watch; t != nil {
		c.watch = nil
		t.Cancel()
		eventloop.Await(c.ctx, t)
	}
}

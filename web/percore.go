package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// PerCore is a set of Servers, one per loop, each loop on its own
// goroutine, all listening on one port with SO_REUSEPORT so the kernel
// spreads connections over them (one loop per core). What runs on one
// loop needs no locks; loops share nothing unless the handlers do.
type PerCore struct {
	servers []*Server
	loops   []*eventloop.Loop
	addr    net.Addr
	stops   []*eventloop.Future[struct{}]
	wg      sync.WaitGroup
	once    sync.Once
	mu      sync.Mutex
	err     error
	grace   time.Duration // set before the loops are told to stop
}

// ServePerCore starts n loops (n < 1 means 1), each serving the Server
// newServer(i) returns on network/address; with port 0 the first loop
// picks the port and the others join it. It returns once every loop
// listens. Shutdown stops them. Call it from a plain goroutine, not
// from a loop.
func ServePerCore(n int, network, address string, newServer func(i int) *Server, loopOpts ...eventloop.Option) (*PerCore, error) {
	if newServer == nil {
		return nil, fmt.Errorf("web: ServePerCore: %w", eventloop.ErrNilCallback)
	}
	n = max(n, 1)
	pc := &PerCore{}
	addr := address
	for i := range n {
		l, err := eventloop.New(loopOpts...)
		if err != nil {
			pc.Shutdown(0)
			return nil, err
		}
		s := newServer(i)
		stop := eventloop.NewFuture[struct{}](l)
		pc.loops, pc.servers, pc.stops = append(pc.loops, l), append(pc.servers, s), append(pc.stops, stop)
		ready := make(chan error, 1)
		pc.wg.Add(1)
		go pc.run(i, l, s, stop, network, addr, ready)
		if err := <-ready; err != nil {
			pc.Shutdown(0)
			return nil, err
		}
		if i == 0 {
			addr = pc.addr.String()
		}
	}
	return pc, nil
}

func (pc *PerCore) run(i int, l *eventloop.Loop, s *Server, stop *eventloop.Future[struct{}], network, address string, ready chan<- error) {
	defer pc.wg.Done()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		a, err := s.Listen(ctx, network, address, streams.WithServerOptions(transport.WithReusePort(true)))
		if err != nil {
			ready <- err
			return struct{}{}, err
		}
		if i == 0 {
			pc.addr = a
		}
		ready <- nil
		eventloop.Await(ctx, stop)
		sctx, ts, err := eventloop.WithTimeoutAt(ctx, l.Deadline(pc.grace))
		if err == nil {
			s.Shutdown(sctx)
			ts.Close()
		}
		s.Close()
		for len(s.conns) > 0 {
			if err := eventloop.Sleep(ctx, 0); err != nil {
				break
			}
		}
		return struct{}{}, nil
	}, eventloop.WithName(fmt.Sprintf("web-per-core-%d", i)))
	err := l.RunUntilComplete(main)
	if cerr := l.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		pc.mu.Lock()
		pc.err = errors.Join(pc.err, fmt.Errorf("web: loop %d: %w", i, err))
		pc.mu.Unlock()
	}
}

// Addr returns the address every loop listens on.
func (pc *PerCore) Addr() net.Addr { return pc.addr }

// Loops returns the loops (for CallSoonThreadsafe and the like).
func (pc *PerCore) Loops() []*eventloop.Loop { return pc.loops }

// Shutdown stops every loop: each server shuts down gracefully within
// grace (Server.Shutdown), then closes what is left; each loop closes.
// It waits for all of them and returns their errors joined. Idempotent;
// safe from any goroutine but the loops'.
func (pc *PerCore) Shutdown(grace time.Duration) error {
	pc.once.Do(func() {
		pc.grace = grace
		for i, l := range pc.loops {
			stop := pc.stops[i]
			l.CallSoonThreadsafe(func() { stop.SetResult(struct{}{}) })
		}
		pc.wg.Wait()
	})
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.err
}

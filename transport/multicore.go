package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// PerCoreServer is a server that runs one loop per core (docs/design.md D11):
// n loops, each on its own goroutine with its own poller, each with its own
// listening socket on one shared port (SO_REUSEPORT), so the kernel spreads
// connections over them. What runs on one loop is deterministic and needs
// no locks; loops share nothing unless the protocols do.
type PerCoreServer struct {
	loops []*eventloop.Loop
	addr  net.Addr
	stats []ServerStats // filled at shutdown
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex // protects err
	err   error
	wg    sync.WaitGroup
}

// ServePerCore starts n loops (n < 1 means 1) serving network/address,
// each with its own CreateServer and WithReusePort(true); factory(i) makes
// the protocol for a connection accepted by loop i. With port 0 the first
// loop picks the port and the others join it. opts go to every
// CreateServer; loopOpts to every New. It returns once every loop
// listens; Shutdown stops them. Safe to call from any goroutine, but not
// from a loop's own goroutine (it waits for the loops to start).
func ServePerCore[P StreamProtocol](n int, network, address string, factory func(i int) P, opts []ServerOption, loopOpts ...eventloop.Option) (*PerCoreServer, error) {
	if factory == nil {
		return nil, errs.Op("transport", "ServePerCore", eventloop.ErrNilCallback)
	}
	if n < 1 {
		n = 1
	}
	s := &PerCoreServer{done: make(chan struct{}), stats: make([]ServerStats, n)}
	opts = append(append([]ServerOption(nil), opts...), WithReusePort(true))
	addr := address
	for i := range n {
		l, err := eventloop.New(loopOpts...)
		if err != nil {
			s.Shutdown()
			return nil, err
		}
		s.loops = append(s.loops, l)
		ready := make(chan error, 1)
		s.wg.Add(1)
		go runPerCore(s, i, l, network, addr, func() P { return factory(i) }, opts, ready)
		if err := <-ready; err != nil {
			s.Shutdown()
			return nil, err
		}
		if i == 0 {
			addr = s.addr.String() // the port loop 0 got, for the others
		}
	}
	return s, nil
}

func runPerCore[P StreamProtocol](s *PerCoreServer, i int, l *eventloop.Loop, network, address string, factory func() P, opts []ServerOption, ready chan<- error) {
	defer s.wg.Done()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
		srv, err := CreateServer(ctx, factory, network, address, opts...)
		if err != nil {
			ready <- err
			return struct{}{}, err
		}
		if i == 0 {
			s.addr = srv.Addrs()[0]
		}
		ready <- nil
		err = srv.ServeForever(ctx)
		srv.AbortClients()
		s.stats[i] = srv.Stats()
		if eventloop.IsOnlyCancellation(err) {
			err = nil
		}
		return struct{}{}, err
	}, eventloop.WithName(fmt.Sprintf("serve-per-core-%d", i)))
	err := l.RunUntilComplete(main)
	l.RunOnce(0) // let the aborted connections' ConnectionLost run
	if ferr := l.ShutdownDefaultExecutor(); !ferr.Done() {
		l.RunUntilComplete(ferr)
	}
	if cerr := l.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		s.mu.Lock()
		s.err = errors.Join(s.err, fmt.Errorf("transport: loop %d: %w", i, err))
		s.mu.Unlock()
	}
}

// Addr returns the address every loop listens on.
func (s *PerCoreServer) Addr() net.Addr { return s.addr }

// Loops returns the loops, for CallSoonThreadsafe and the like.
func (s *PerCoreServer) Loops() []*eventloop.Loop { return s.loops }

// Shutdown stops every loop: each server closes, its connections are
// aborted, its loop closes. It waits for all of them and returns their
// errors joined. Idempotent; safe from any goroutine but the loops'.
func (s *PerCoreServer) Shutdown() error {
	s.once.Do(func() {
		for _, l := range s.loops {
			l.CallSoonThreadsafe(func() {
				for _, t := range l.AllTasks() {
					t.Cancel()
				}
			})
		}
		s.wg.Wait()
		close(s.done)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Stats returns each loop's server counters as they were at Shutdown
// (zero before).
func (s *PerCoreServer) Stats() []ServerStats {
	select {
	case <-s.done:
		return s.stats
	default:
		return make([]ServerStats, len(s.stats))
	}
}

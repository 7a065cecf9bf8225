package interop_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/task"
)

// runReal runs main on a loop with the real clock: gRPC's goroutines take
// real time, which a virtual clock would jump over.
func runReal(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	testkit.Run(t, main, eventloop.WithClock(nil))
}

// grpcOverLoop is a gRPC server served on the loop's net.Listener view
// and a client whose every connection is the loop's net.Conn view (the
// Dialer, through grpc.WithContextDialer). dials counts those dials.
type grpcOverLoop struct {
	ln     net.Listener
	srv    *grpc.Server
	health *health.Server
	cc     *grpc.ClientConn
	client healthpb.HealthClient
	served chan error
	dials  atomic.Int64
}

func startGRPC(ctx context.Context) (*grpcOverLoop, error) {
	ln, err := streams.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &grpcOverLoop{ln: ln, srv: grpc.NewServer(), health: health.NewServer(), served: make(chan error, 1)}
	healthpb.RegisterHealthServer(g.srv, g.health)
	go func() { g.served <- g.srv.Serve(ln) }()
	d := &streams.Dialer{Loop: eventloop.LoopOf(ctx)}
	g.cc, err = grpc.NewClient("passthrough:///"+ln.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			g.dials.Add(1)
			return d.DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		ln.Close()
		return nil, err
	}
	g.client = healthpb.NewHealthClient(g.cc)
	return g, nil
}

// stop closes the client and stops the server (blocking calls, so off
// the loop) and checks that Serve ended as Stop makes it.
func (g *grpcOverLoop) stop(ctx context.Context, t *testing.T) {
	_, err := task.ToThread(ctx, func(context.Context) (struct{}, error) {
		err := g.cc.Close()
		g.srv.Stop()
		return struct{}{}, err
	})
	if err != nil {
		t.Errorf("close: %v", err)
	}
	sctx, ts, err := eventloop.WithTimeoutAt(ctx, eventloop.LoopOf(ctx).Deadline(rpcTimeout))
	if err != nil {
		t.Error(err)
		return
	}
	defer ts.Close()
	serveErr, _, err := task.Recv(sctx, g.served)
	switch {
	case err != nil:
		t.Errorf("Serve did not return after Stop: %v", err)
	case serveErr != nil:
		t.Errorf("Serve = %v, want nil after Stop", serveErr)
	}
}

// rpcTimeout bounds every RPC of these tests, so that a broken view
// fails them instead of hanging them.
const rpcTimeout = 20 * time.Second

func wantStatus(serving bool) healthpb.HealthCheckResponse_ServingStatus {
	if serving {
		return healthpb.HealthCheckResponse_SERVING
	}
	return healthpb.HealthCheckResponse_NOT_SERVING
}

// Many concurrent unary RPCs, each answered for its own service, and an
// unknown service's NotFound, all over loop sockets.
func TestGRPCUnaryOverLoop(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		g, err := startGRPC(ctx)
		if err != nil {
			return err
		}
		const services, workers, each = 8, 16, 40
		for i := range services {
			g.health.SetServingStatus(fmt.Sprintf("svc-%d", i), wantStatus(i%2 == 0))
		}
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			var wg sync.WaitGroup
			errc := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						svc := (w + i) % services
						rctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
						resp, err := g.client.Check(rctx, &healthpb.HealthCheckRequest{Service: fmt.Sprintf("svc-%d", svc)})
						cancel()
						if err != nil {
							errc <- err
							return
						}
						if got, want := resp.GetStatus(), wantStatus(svc%2 == 0); got != want {
							errc <- fmt.Errorf("svc-%d: status %v, want %v", svc, got, want)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errc)
			return struct{}{}, <-errc
		})
		if err != nil {
			t.Errorf("concurrent Check: %v", err)
		}
		_, err = task.ToThread(ctx, func(context.Context) (*healthpb.HealthCheckResponse, error) {
			cctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
			defer cancel()
			return g.client.Check(cctx, &healthpb.HealthCheckRequest{Service: "nobody"})
		})
		if status.Code(err) != codes.NotFound {
			t.Errorf("Check of an unknown service = %v, want NotFound", err)
		}
		if g.dials.Load() == 0 {
			t.Errorf("no connection was dialed through the loop")
		}
		g.stop(ctx, t)
		return nil
	})
}

// Server streams over loop sockets: several Watch streams see every
// status change in order (the setter waits for all of them before the
// next change, so the health service coalesces none), while unary calls
// share the connection; a stream whose ctx is cancelled ends Canceled.
func TestGRPCStreamOverLoop(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		g, err := startGRPC(ctx)
		if err != nil {
			return err
		}
		const watchers, changes = 4, 30
		g.health.SetServingStatus("watched", wantStatus(true))
		seen := make(chan error, watchers)
		next := make([]chan struct{}, watchers)
		for i := range next {
			next[i] = make(chan struct{}, 1)
		}
		var wg sync.WaitGroup
		for w := range watchers {
			wg.Go(func() {
				wctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
				defer cancel()
				st, err := g.client.Watch(wctx, &healthpb.HealthCheckRequest{Service: "watched"})
				if err != nil {
					seen <- err
					return
				}
				for i := 0; i <= changes; i++ {
					resp, err := st.Recv()
					if err == nil && resp.GetStatus() != wantStatus(i%2 == 0) {
						err = fmt.Errorf("watcher %d: change %d is %v, want %v", w, i, resp.GetStatus(), wantStatus(i%2 == 0))
					}
					seen <- err
					if err != nil {
						return
					}
					if i < changes {
						<-next[w]
					}
				}
			})
		}
		// Unary traffic on the same connection meanwhile.
		unary := make(chan error, 1)
		go func() {
			var err error
			cctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
			defer cancel()
			for range 100 {
				if _, err = g.client.Check(cctx, &healthpb.HealthCheckRequest{Service: "watched"}); err != nil {
					break
				}
			}
			unary <- err
		}()
		for i := 0; i <= changes; i++ {
			if i > 0 {
				g.health.SetServingStatus("watched", wantStatus(i%2 == 0))
				for w := range watchers {
					next[w] <- struct{}{}
				}
			}
			for range watchers {
				if err, _, _ := task.Recv(ctx, seen); err != nil {
					t.Errorf("Watch: %v", err)
					return errors.Join(err, stopAfter(ctx, t, g, &wg))
				}
			}
		}
		if err, _, _ := task.Recv(ctx, unary); err != nil {
			t.Errorf("Check beside the streams: %v", err)
		}

		// A stream cancelled by its caller.
		_, err = task.ToThread(ctx, func(context.Context) (struct{}, error) {
			sctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
			st, err := g.client.Watch(sctx, &healthpb.HealthCheckRequest{Service: "watched"})
			if err != nil {
				cancel()
				return struct{}{}, err
			}
			if _, err := st.Recv(); err != nil {
				cancel()
				return struct{}{}, err
			}
			cancel()
			_, err = st.Recv()
			if status.Code(err) != codes.Canceled {
				return struct{}{}, fmt.Errorf("Recv after cancel = %v, want Canceled", err)
			}
			return struct{}{}, nil
		})
		if err != nil {
			t.Error(err)
		}
		return stopAfter(ctx, t, g, &wg)
	})
}

// stopAfter stops g (which ends the watchers' streams) and waits for the
// watchers.
func stopAfter(ctx context.Context, t *testing.T, g *grpcOverLoop, wg *sync.WaitGroup) error {
	g.stop(ctx, t)
	_, err := task.ToThread(ctx, func(context.Context) (struct{}, error) { wg.Wait(); return struct{}{}, nil })
	return err
}

//go:build unix

package transport_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// upperServer hands each message to a goroutine of its own (work that
// must not run on the loop) and writes the answer back from the loop:
// the goroutine may not touch the transport, so it posts the write with
// CallSoonThreadsafe.
type upperServer struct {
	transport.ProtocolBase
	l *eventloop.Loop
	t transport.Transport
}

func (s *upperServer) ConnectionMade(t transport.Transport) { s.t = t }

func (s *upperServer) DataReceived(b []byte) {
	msg := string(b) // b is only valid during the call
	go func() {
		answer := strings.ToUpper(msg) // off the loop goroutine
		s.l.CallSoonThreadsafe(func() { s.t.Write([]byte(answer)) })
	}()
}

// A protocol server whose work runs on other goroutines, its replies
// posted back to the loop with CallSoonThreadsafe.
func ExampleCreateServer_callSoonThreadsafe() {
	l, _ := eventloop.New()
	defer l.Close()
	main := eventloop.Spawn(l.Context(), func(ctx context.Context) (string, error) {
		srv, err := transport.CreateServer(ctx, func() *upperServer { return &upperServer{l: l} }, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer srv.WaitClosed(ctx)
		defer srv.Close()
		done := eventloop.NewFuture[string](l)
		_, _, err = transport.CreateConnection(ctx, func() *echoClient {
			return &echoClient{msg: "hello from a goroutine", done: done}
		}, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return "", err
		}
		return eventloop.Await(ctx, done)
	})
	l.RunUntilComplete(main)
	fmt.Println(main.Result())
	// Output: HELLO FROM A GOROUTINE <nil>
}
